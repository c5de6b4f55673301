// Share links that name a kernel and an initrd by address, in Chromium: the banner shows
// the addresses and nothing is fetched until the reader presses its button (the server sees
// no request before), then the machine boots and the banner shows each file's size and
// sha256; a link whose userspace prints no ringside prompt says the script was not typed and
// types it when asked; links naming a file, this browser's storage, plain http to another
// computer or a disk boot are refused naming the field, with no worker started. (Plain http
// is taken only for this computer, 127.0.0.1, which is how these tests serve the files.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForScreen } from "../support/terminal-screen.js";
import { makeBootFiles, serveBootFiles, type BootFiles, type FileServer } from "../support/boot-files.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import type { ShareContent } from "../../src/share/share-content.js";
import { pageMachine } from "../../src/share/page-machine.js";
import { DEFAULT_OPTIONS } from "../../src/machine/options.js";
import type { BootDescription } from "../../src/description/machine-description.js";

const LONG = 180_000;

function linkContent(boot: BootDescription | undefined, script: string): ShareContent {
  const { cmdline: _, ...machine } = pageMachine(DEFAULT_OPTIONS, undefined, { kind: "host" });
  return { machine: { ...machine, ...(boot ? { boot } : {}) }, cmdlineExtras: "", script, panel: "terminal" };
}

/** Runs `step`; if it fails, saves a screenshot as NAME.png with the page's state in its name's log line, then fails. */
async function onFailure<T>(page: Page, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await page.screenshot({ path: `${artifacts}/${name}.png` }).catch(() => {});
    const state = await page.evaluate(() => ({ ...document.body.dataset })).catch(() => ({}));
    console.error(`${name}: page state ${JSON.stringify(state)}`);
    throw e;
  }
}

async function open(site: BuiltSite, fragment: string): Promise<{ page: Page; workers: string[]; errors: string[] }> {
  const page = await site.context.newPage();
  const workers: string[] = [];
  const errors: string[] = [];
  page.on("worker", (w) => workers.push(w.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.url}#${fragment}`);
  return { page, workers, errors };
}

describe("share links naming a kernel and an initrd by address", () => {
  let site: BuiltSite;
  let files: BootFiles;
  let server: FileServer;
  beforeAll(async () => {
    site = await openBuiltSite();
    files = await makeBootFiles();
    server = await serveBootFiles(files.dir, true);
  });
  afterAll(async () => {
    await site?.close();
    await server?.close();
    await files?.close();
  });

  it("shows the addresses, fetches nothing before the reader says yes, then boots and shows size and sha256", async () => {
    const kernel = `${server.url}bzImage`;
    const initrd = `${server.url}initrd.img`;
    const boot: BootDescription = { kind: "kernel", kernel: { kind: "url", url: kernel }, initrd: { kind: "url", url: initrd } };
    server.requests.length = 0;
    const { page, workers, errors } = await open(site, await encodeShareFragment(linkContent(boot, "echo link-$(uname -r)\n")));
    const banner = page.locator("#share-banner");
    await banner.locator(".share-banner-fetch").waitFor({ state: "visible" });
    expect(await banner.locator(".share-banner-url").allInnerTexts()).toEqual([kernel, initrd]);
    expect(await banner.locator(".share-banner-config").innerText()).toBe(
      `Configuration: 256 MiB of memory, host network with the shared notification channel, no disk, kernel from ${kernel}, initrd from ${initrd}, terminal panel open.`,
    );
    expect(await page.locator("#boot-source").innerText()).toBe(`booting the link's kernel from ${kernel}`);
    // Time enough for anything eager to have fetched; the worker is up, the machine is not.
    await page.waitForTimeout(3000);
    expect(server.requests).toEqual([]);
    expect(await page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: object }).ringsideBoot))).toEqual([]);
    await page.screenshot({ path: `${artifacts}/boot-link-waiting.png` });

    await banner.locator(".share-banner-fetch").click();
    // Each wait ends well inside the test's own limit, with a picture of the page, so a rare
    // hang here (seen twice in full runs, never alone) says which step it was.
    await onFailure(page, "boot-link-not-ready", () => page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: BOOT_TIMEOUT }));
    await onFailure(page, "boot-link-no-script", () => waitForScreen(page, new RegExp(`^link-${files.version.replace(/\./g, "\\.")}$`, "m"), BOOT_TIMEOUT / 2));
    expect(server.requests).toEqual(["GET /files/bzImage", "GET /files/initrd.img"]);
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#share-banner .share-banner-files")?.dataset.fetch === "booted");
    const facts = await banner.locator(".share-banner-file-facts").allInnerTexts();
    expect(facts[0]).toBe(`(${(files.kernel.bytes / 1048576).toFixed(1)} MiB, Linux ${files.version}, sha256 ${files.kernel.sha256})`);
    expect(facts[1]).toBe(`(${(files.initrd.bytes / 1048576).toFixed(1)} MiB, cpio archive, sha256 ${files.initrd.sha256})`);
    expect(await page.locator("#boot-source").innerText()).toBe(`running the link's kernel ${files.version} from ${kernel}, the link's initrd ${initrd}`);
    expect(await page.locator("#boot-panel").isHidden()).toBe(true);
    await page.screenshot({ path: `${artifacts}/boot-link-booted.png` });
    expect(workers).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("says when no ringside prompt came and the script was not typed, and types it when asked", async () => {
    const boot: BootDescription = { kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "url", url: `${server.url}foreign-initrd.img` } };
    const { page, errors } = await open(site, await encodeShareFragment(linkContent(boot, "echo typed-$((6*7))\n")));
    await page.locator("#share-banner .share-banner-fetch").click();
    // The other userspace's own prompt, and no ringside prompt: the page does not type blindly.
    await waitForScreen(page, /^other-os\$/m, LONG);
    await page.waitForFunction(() => document.body.dataset.share === "no-prompt", null, { timeout: LONG });
    expect(await page.locator("#share-banner .share-banner-status").innerText()).toMatch(/^No ringside shell prompt seen: the script was not typed/);
    expect(await page.evaluate(() => document.body.dataset.prompt)).toBe("none");
    expect(await page.locator("#boot-report").isHidden()).toBe(true);
    await page.screenshot({ path: `${artifacts}/boot-link-no-prompt.png` });
    await page.locator("#share-banner .share-banner-type").click();
    await waitForScreen(page, /^typed-42$/m);
    await page.waitForFunction(() => document.body.dataset.share === "typed");
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  it("names a link's kernel that is gone, starts no machine, and offers the same link on the bundled images", async () => {
    const gone = `${server.url}gone-bzImage`;
    const boot: BootDescription = { kind: "kernel", kernel: { kind: "url", url: gone }, initrd: { kind: "bundled" } };
    const { page, errors } = await open(site, await encodeShareFragment(linkContent(boot, "echo back-$((6*7))\n")));
    await page.locator("#share-banner .share-banner-fetch").click();
    await page.waitForFunction(() => document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
    expect(await page.locator("#error-panel .error-message").innerText()).toBe(`cannot fetch the kernel ${gone}: HTTP 404 Not Found`);
    expect(await page.locator("#share-banner .share-banner-files").getAttribute("data-fetch")).toBe("failed");
    // Neither the banner nor the header goes on promising what will not happen.
    expect(await page.locator("#share-banner .share-banner-status").innerText()).toBe("The machine did not start: the script was not typed.");
    expect(await page.locator("#boot-source").innerText()).toBe(`not started: the link's kernel from ${gone}`);
    // Nothing half-started: no boot phase past loading the images.
    expect(await page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: object }).ringsideBoot))).toEqual(["loading"]);
    await page.screenshot({ path: `${artifacts}/boot-link-gone.png` });
    const action = page.locator("#error-panel .error-action");
    expect(await action.innerText()).toBe("Use the bundled images");
    await Promise.all([page.waitForEvent("load", { timeout: LONG }), action.click()]);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: BOOT_TIMEOUT });
    // The same link (its script too), without its kernel: nothing to fetch, nothing to confirm.
    expect(await page.locator("#share-banner .share-banner-files").count()).toBe(0);
    expect(await page.locator("#boot-source").innerText()).toBe(`running the bundled kernel ${files.version}`);
    await waitForScreen(page, /^back-42$/m, LONG);
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  const raw = async (content: unknown): Promise<string> => `demo=2.${toBase64Url(await deflateRaw(new TextEncoder().encode(JSON.stringify(content))))}`;
  const refused: Array<{ name: string; boot: unknown; message: RegExp }> = [
    { name: "http", boot: { kind: "kernel", kernel: { kind: "url", url: "http://example.com/bzImage" } }, message: /boot\.kernel\.url must be https:\/\/ \(plain http:\/\/ only for this computer/ },
    { name: "file", boot: { kind: "kernel", kernel: { kind: "file", path: "/boot/vmlinuz" } }, message: /boot\.kernel\.kind must be "bundled" or "url": a share link cannot name a file/ },
    { name: "opfs", boot: { kind: "kernel", kernel: { kind: "bundled" }, initrd: { kind: "opfs", name: "ringside-disk.img" } }, message: /boot\.initrd\.kind must be "bundled" or "url"/ },
    { name: "disk", boot: { kind: "disk" }, message: /boot must be a kernel|boot\.kind must be "kernel" in a share link/ },
  ];
  for (const c of refused) {
    it(`refuses a link whose boot is a ${c.name}: names the field, starts nothing`, async () => {
      const { page, workers, errors } = await open(site, await raw({ ...linkContent(undefined, ""), machine: { ...linkContent(undefined, "").machine, boot: c.boot } }));
      await page.waitForFunction(() => document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
      expect(await page.locator("#error-panel .error-title").innerText()).toBe("This share link cannot be used");
      expect(await page.locator("#error-panel .error-message").innerText()).toMatch(c.message);
      expect(workers).toEqual([]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${artifacts}/boot-link-refused-${c.name}.png` });
      await page.close();
    });
  }
});
