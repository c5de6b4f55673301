// Share links in Chromium: a version-1 link (as older pages made them) boots its demo
// (memory, network, kernel parameters) and types its script, the page says so, and its
// Share button gives back a version-2 link of the same machine; the gallery's demos are
// links that decode and boot; bad and hostile links show an error, start no worker, and
// never reach the page as markup. Version-2 machines of several disks and cards:
// machine-link.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { decodeShareFragment, encodeShareFragment } from "../../src/share/share-link.js";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import type { ShareConfig } from "../../src/share/share-config.js";
import { contentFromConfig, type ShareContent } from "../../src/share/share-content.js";
import { DEMOS } from "../../src/share/share-demos.js";
import { version1Fragment } from "../support/share-v1.js";

const LONG = 180_000;
const CONFIG: ShareConfig = {
  memoryMiB: 192,
  disk: "none",
  network: "host",
  policy: "per-queue",
  cmdlineExtras: "share.test=yes",
  script: "echo share-$((6*7))\n",
  panel: "terminal",
};

/** A content with the PCI slots the page filled in taken out again, to compare with what a link asked for. */
function unplaced(content: ShareContent | null): ShareContent | null {
  if (!content) return null;
  const devices = content.machine.devices.map((d) => ({ ...d, transport: { kind: d.transport.kind } }));
  return { ...content, machine: { ...content.machine, devices } };
}

/** A page that counts the workers it starts. */
async function openCounting(site: BuiltSite): Promise<{ page: Page; workers: string[]; errors: string[] }> {
  const page = await site.context.newPage();
  const workers: string[] = [];
  const errors: string[] = [];
  page.on("worker", (w) => workers.push(w.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, workers, errors };
}

async function waitForState(page: Page, states: string[]): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ""), states, { timeout: BOOT_TIMEOUT });
  return (await page.evaluate(() => document.body.dataset.state)) ?? "";
}

describe("share links in Chromium", () => {
  let site: BuiltSite;
  beforeAll(async () => {
    site = await openBuiltSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it("boots a version-1 link's demo, types its script, and shares the same machine back as version 2", async () => {
    const { page, workers, errors } = await openCounting(site);
    // The address also asks for the switch network: the link wins, and the page says so.
    await page.goto(`${site.url}?net=switch#${await version1Fragment(CONFIG)}`);
    const banner = page.locator("#share-banner");
    await banner.waitFor({ state: "visible" });
    const bannerText = await banner.innerText();
    expect(bannerText).toMatch(/This page was opened from a share link: it will run this script:/);
    expect(await banner.locator("pre").textContent()).toBe(CONFIG.script);
    expect(bannerText).toMatch(/192 MiB of memory, host network with per-queue kicks, no disk, kernel parameters added: share\.test=yes/);
    expect(bannerText).toMatch(/The address also has \?net=switch: the link's settings are used instead/);

    expect(await waitForState(page, ["ready", "error"])).toBe("ready");
    // The script is typed at the prompt, so its answer follows within seconds; a wait shorter
    // than the test's own limit fails with the screen's text (and a picture) rather than
    // with a bare timeout.
    const shown = await waitForScreen(page, /^share-42$/m, BOOT_TIMEOUT).catch(async (e: unknown) => {
      await page.screenshot({ path: `${artifacts}/share-link-no-answer.png` });
      throw e;
    });
    expect(shown).toMatch(/echo share-\$\(\(6\*7\)\)\n/);
    await page.waitForFunction(() => document.body.dataset.share === "typed");
    expect(workers).toHaveLength(1);

    await page.locator("#terminal").click();
    await typeLine(page, "clear; grep MemTotal /proc/meminfo; grep -o 'share.test=yes' /proc/cmdline; ls /sys/class/net | grep -c eth0");
    const text = await waitForScreen(page, /^MemTotal:\s+\d+ kB\nshare\.test=yes\n1$/m);
    const kib = Number(/^MemTotal:\s+(\d+) kB$/m.exec(text)![1]);
    // The kernel keeps some memory for itself; anything from 160 to 192 MiB is "192".
    expect(kib / 1024).toBeGreaterThan(160);
    expect(kib / 1024).toBeLessThanOrEqual(192);
    await page.screenshot({ path: `${artifacts}/share-link-booted.png` });

    await page.locator("#share-button").click();
    const field = page.locator("#share-panel .share-url");
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>("#share-panel .share-url")?.value ?? "") !== "");
    const shared = new URL(await field.inputValue());
    expect(shared.search).toBe("");
    // The running machine as a version-2 link: the same machine, every device placed.
    expect(shared.hash).toMatch(/^#demo=2\./);
    const back = await decodeShareFragment(shared.hash);
    expect(back?.machine.devices.every((d) => Number.isInteger(d.transport.kind === "pci" && d.transport.slot))).toBe(true);
    expect(unplaced(back)).toEqual(contentFromConfig(CONFIG));
    expect(await page.locator("#share-panel .share-machine").innerText()).toBe("Machine: host network with per-queue kicks, no disk (3 devices).");
    expect(await page.locator("#share-panel .share-status").innerText()).toMatch(/copied|Select the link/);
    // Edits re-encode: a new script gives a new link that decodes to it.
    await page.locator("#share-panel .share-script").fill("uname -a");
    await page.waitForFunction((old) => document.querySelector<HTMLInputElement>("#share-panel .share-url")?.value !== old, shared.href);
    expect(unplaced(await decodeShareFragment(new URL(await field.inputValue()).hash))).toEqual({ ...contentFromConfig(CONFIG), script: "uname -a" });
    await page.locator("#share-panel .share-extras").fill("init=/bin/sh");
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#share-panel")?.dataset.link === "invalid");
    expect(await page.locator("#share-panel .share-status").innerText()).toMatch(/No link: cmdlineExtras may not set "init"/);
    await page.screenshot({ path: `${artifacts}/share-panel.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("lists the eight demos as links that decode, and follows one in the same tab", async () => {
    const { page, errors } = await openCounting(site);
    await page.goto(`${site.url}?disk=none&net=none`);
    await page.locator("#demos-button").click();
    const links = page.locator("#share-gallery .gallery-link");
    expect(await links.count()).toBe(8);
    const hrefs = await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    for (const [i, href] of hrefs.entries()) expect(await decodeShareFragment(new URL(href).hash)).toEqual(DEMOS[i]!.content);
    expect(await page.locator("#share-gallery .gallery-item").evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.demo)))
      .toEqual(["download-shared", "download-per-queue", "disk-flush", "rng", "two-disks-two-cards", "packed-rings", "mmio-and-msix", "policies-side-by-side"]);
    await page.screenshot({ path: `${artifacts}/share-gallery.png` });

    // The random number generator demo: only the fragment changes, and the page reloads into it.
    await page.locator('#share-gallery [data-demo="rng"] .gallery-link').click();
    await page.waitForFunction(() => document.body.dataset.share === "link" || document.body.dataset.share === "typed", null, { timeout: BOOT_TIMEOUT });
    expect(await page.locator("#share-banner pre").innerText()).toMatch(/dd if=\/dev\/hwrng/);
    expect(await waitForState(page, ["ready", "error"])).toBe("ready");
    await waitForScreen(page, /^( [0-9a-f]{2}){16}$/m, LONG);
    await page.screenshot({ path: `${artifacts}/share-demo-rng.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("runs the shared-channel download demo with the inspector open", async () => {
    const { page, errors } = await openCounting(site);
    await page.goto(`${site.url}#${await encodeShareFragment(DEMOS[0]!.content)}`);
    await page.locator("#inspector").waitFor({ state: "visible" });
    expect(await page.locator("#inspector-toggle").getAttribute("aria-expanded")).toBe("true");
    expect(await waitForState(page, ["ready", "error"])).toBe("ready");
    await waitForScreen(page, /^download-done$/m, LONG);
    await page.screenshot({ path: `${artifacts}/share-demo-download.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("runs the virtio-mmio and MSI-X demo in the page's worker: an mmio rng and a vector per queue", async () => {
    const { page, errors } = await openCounting(site);
    // Wide enough for the inspector beside the terminal: stacked under it (narrower windows),
    // the terminal is a few rows tall and the script's /proc/interrupts lines scroll the
    // rng's "4096" out of sight before it can be read.
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${site.url}#${await encodeShareFragment(DEMOS.find((d) => d.id === "mmio-and-msix")!.content)}`);
    // The page's code loads after its first module (page-entry.ts), so the banner may come after the load event.
    await page.locator("#share-banner").waitFor({ state: "visible" });
    expect(await page.locator("#share-banner").innerText()).toMatch(/on virtio-mmio: virtio-rng, MSI-X: virtio-console, virtio-net/);
    expect(await waitForState(page, ["ready", "error"])).toBe("ready");
    // The demo's download and 4096 bytes from the mmio rng.
    await waitForScreen(page, /^4096$/m, LONG);
    await page.screenshot({ path: `${artifacts}/share-demo-mmio-msix.png` });
    // One platform device on virtio-mmio; config, input and output vectors for the console and the card.
    await page.locator("#terminal").click();
    await typeLine(page, "clear; echo mmio-$(ls /sys/bus/platform/devices | grep -c virtio-mmio) msi-$(grep -c PCI-MSI /proc/interrupts)");
    await waitForScreen(page, /^mmio-1 msi-6$/m);
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("runs the disk demo: 32 MiB written to the browser's disk and flushed", async () => {
    const { page, errors } = await openCounting(site);
    await page.goto(`${site.url}#${await encodeShareFragment(DEMOS[2]!.content)}`);
    expect(await waitForState(page, ["ready", "error"])).toBe("ready");
    await waitForScreen(page, /^disk-demo-done$/m, LONG);
    await page.locator("#terminal").click();
    await typeLine(page, "clear; echo size-$(stat -c %s /mnt/demo)");
    await waitForScreen(page, /^size-33554432$/m);
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  const valid = (): Promise<string> => encodeShareFragment(contentFromConfig(CONFIG));
  const raw = async (json: string): Promise<string> => `demo=1.${toBase64Url(await deflateRaw(new TextEncoder().encode(json)))}`;
  const HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
  const cases: Array<{ name: string; fragment: () => Promise<string>; message: RegExp }> = [
    { name: "wrong-version", fragment: async () => (await valid()).replace("demo=2.", "demo=3."), message: /version 3; this page reads versions 1 and 2/ },
    { name: "garbage-base64", fragment: async () => "demo=1.%3Cb%3E!!not*base64", message: /not base64url: it has the character "%"/ },
    { name: "huge", fragment: async () => `demo=1.${"A".repeat(20_000)}`, message: /too long: 20007 characters after "#", at most 8192/ },
    { name: "bomb", fragment: async () => `demo=1.${toBase64Url(await deflateRaw(new Uint8Array(4 << 20)))}`, message: /inflates to more than 16384 bytes/ },
    { name: "hostile-field", fragment: () => raw(JSON.stringify({ ...CONFIG, panel: HOSTILE })), message: /panel must be "terminal" or "inspector", not "<img src=x onerror=/ },
    { name: "hostile-script-control", fragment: () => raw(JSON.stringify({ ...CONFIG, script: `${HOSTILE}\x1b[2J` })), message: /forbidden character \(U\+001B\)/ },
    { name: "relay", fragment: () => raw(JSON.stringify({ ...CONFIG, network: "relay" })), message: /cannot be a relay/ },
  ];

  for (const c of cases) {
    it(`refuses a ${c.name} link: says why, starts nothing, injects nothing`, async () => {
      const { page, workers, errors } = await openCounting(site);
      await page.goto(`${site.url}#${await c.fragment()}`);
      expect(await waitForState(page, ["ready", "error"])).toBe("error");
      expect(await page.locator("#error-panel .error-title").innerText()).toBe("This share link cannot be used");
      const message = await page.locator("#error-panel .error-message").innerText();
      expect(message).toMatch(c.message);
      expect(message).toMatch(/Nothing from the link was run/);
      expect(workers).toEqual([]);
      expect(await page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: object }).ringsideBoot))).toEqual([]);
      expect(await page.locator("#share-banner").isHidden()).toBe(true);
      expect(await page.locator("img").count()).toBe(0);
      expect(await page.locator("body script").count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${artifacts}/share-refused-${c.name}.png` });
      await page.close();
    });
  }

  it("shows a script full of markup as text in the banner", async () => {
    const { page, errors } = await openCounting(site);
    // Valid: < and > are shell redirections, so markup in a script is only text.
    await page.goto(`${site.url}#${await encodeShareFragment(contentFromConfig({ ...CONFIG, script: HOSTILE }))}`);
    await page.locator("#share-banner").waitFor({ state: "visible" });
    expect(await page.locator("#share-banner pre").innerText()).toBe(HOSTILE);
    expect(await page.locator("#share-banner img, #share-banner script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });
});
