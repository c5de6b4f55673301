// A version-2 share link's machine in Chromium: the gallery's "two disks, two network cards"
// demo (the page's disk in this browser's storage as vda, a 16 MiB disk in memory as vdb,
// two cards on the host networks 10.0.2.0/24 and 10.0.3.0/24) boots from its link and runs
// its script, the guest uses each disk and each card, and the Share button gives the same
// machine back; a version-2 link naming a host file, a relay, another file of this
// browser's storage or a bad field is refused with a message naming the field, and
// nothing boots.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import { decodeShareFragment, encodeShareFragment } from "../../src/share/share-link.js";
import { DEMOS } from "../../src/share/share-demos.js";
import type { ShareContent } from "../../src/share/share-content.js";

const LONG = 240_000;
const DEMO = DEMOS.find((d) => d.id === "two-disks-two-cards")!.content;
const MiB = 1024 * 1024;

interface DeviceView {
  type: string;
  stats: { capacitySectors?: number; disk?: { bytesWritten: number }; rx?: { bytes: number } };
}

async function open(site: BuiltSite, fragment: string): Promise<{ page: Page; workers: string[]; errors: string[] }> {
  const page = await site.context.newPage();
  const workers: string[] = [];
  const errors: string[] = [];
  page.on("worker", (w) => workers.push(w.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.url}#${fragment}`);
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state ?? ""), null, { timeout: BOOT_TIMEOUT });
  return { page, workers, errors };
}

/** Runs `command` in the guest and returns the lines between two markers. */
async function run(page: Page, command: string, timeout = 60_000): Promise<string[]> {
  const tag = `m${Math.random().toString(36).slice(2, 8)}`;
  await typeLine(page, `clear; echo ${tag}-start; ${command}; echo ${tag}-end`);
  const text = await waitForScreen(page, new RegExp(`^${tag}-end$`, "m"), timeout);
  const lines = text.split("\n");
  return lines.slice(lines.findIndex((l) => l === `${tag}-start`) + 1, lines.findIndex((l) => l === `${tag}-end`));
}

/** Removes the PCI slots the page filled in, to compare with what the link asked for. */
function unplaced(content: ShareContent | null): ShareContent | null {
  if (!content) return null;
  return { ...content, machine: { ...content.machine, devices: content.machine.devices.map((d) => ({ ...d, transport: { kind: d.transport.kind } })) } };
}

describe("a share link's machine of two disks and two network cards", () => {
  let site: BuiltSite;
  beforeAll(async () => {
    site = await openBuiltSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it("boots the demo: vda and vdb, eth0 and eth1, each one working", async () => {
    const { page, workers, errors } = await open(site, await encodeShareFragment(DEMO));
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
    expect(workers).toHaveLength(1);
    expect(await page.locator("#share-banner .share-banner-config").innerText()).toBe(
      "Configuration: 256 MiB of memory, 2 network cards (eth0: host network with the shared notification channel; eth1: host network with the " +
        "shared notification channel), 2 disks (vda: this browser's disk at /mnt; vdb: a 16 MiB disk in memory), inspector panel open.",
    );
    // The demo's own script: ext4 on vdb, eth1's address, a download through eth1.
    await waitForScreen(page, /^eth1-download-done$/m, LONG);
    await page.screenshot({ path: `${artifacts}/machine-link-demo.png` });
    await page.locator("#share-banner .share-banner-hide").click();
    await page.locator("#terminal").click();

    // Both disks, with their sizes in 512-byte sectors: the page's 256 MiB and the link's 16 MiB.
    expect(await run(page, "cat /sys/block/vda/size /sys/block/vdb/size; grep -c ' /mnt ' /proc/mounts")).toEqual(["524288", "32768", "1"]);
    // Data written to vdb reads back from the device (page cache dropped, then O_DIRECT).
    expect(await run(page,
      "umount /media/vdb; dd if=/dev/urandom of=/tmp/r bs=64k count=64 2>/dev/null; dd if=/tmp/r of=/dev/vdb bs=64k conv=fsync 2>/dev/null; " +
      "echo 3 > /proc/sys/vm/drop_caches; a=$(sha256sum </tmp/r | cut -c1-64); b=$(dd if=/dev/vdb bs=64k count=64 iflag=direct 2>/dev/null | sha256sum | cut -c1-64); " +
      "[ ${#a} = 64 ] && [ \"$a\" = \"$b\" ] && echo vdb-sha-match || echo vdb-sha-differs",
    )).toEqual(["vdb-sha-match"]);
    // Each card on its own host network, configured at boot (eth0 by ip=, eth1 by rc.boot).
    expect(await run(page, "for i in eth0 eth1; do ip -4 -o addr show $i | awk '{print $2, $4}'; done")).toEqual(["eth0 10.0.2.15/24", "eth1 10.0.3.15/24"]);
    // A download through each card from its own network's router, checked against /blob-sha256.
    for (const [net, seed] of [["10.0.2", 21], ["10.0.3", 22]] as const) {
      const blob = `bytes=${4 * MiB}&seed=${seed}`;
      expect(await run(page,
        `got=$(wget -q -O - 'http://${net}.2/blob?${blob}' | sha256sum | cut -c1-64); want=$(wget -q -O - 'http://${net}.2/blob-sha256?${blob}'); ` +
        "[ ${#got} = 64 ] && [ \"$got\" = \"$want\" ] && echo sha-match || echo sha-differs",
        LONG,
      )).toEqual(["sha-match"]);
    }
    // The host side agrees: each card received its downloads, vdb holds what was written.
    const devices = await page.evaluate(() => (window as unknown as { ringsideDevices(): Promise<unknown> }).ringsideDevices()) as DeviceView[];
    const cards = devices.filter((d) => d.type === "virtio-net");
    const disks = devices.filter((d) => d.type === "virtio-blk");
    expect(cards).toHaveLength(2);
    expect(cards[0]!.stats.rx!.bytes).toBeGreaterThan(4 * MiB);
    expect(cards[1]!.stats.rx!.bytes).toBeGreaterThan(4 * MiB + 16 * MiB);
    expect(disks.map((d) => d.stats.capacitySectors)).toEqual([524288, 32768]);
    expect(disks[1]!.stats.disk!.bytesWritten).toBeGreaterThanOrEqual(4 * MiB);

    // The Disk panel works on the page's disk and names the other one in a line.
    const diskPanel = page.locator("#disk-panel");
    expect(await diskPanel.locator(".disk-name").innerText()).toBe("ringside-disk.img");
    await page.waitForFunction(() => document.querySelector("#disk-panel .disk-more")?.textContent === ", and 1 more disk in memory");
    await page.screenshot({ path: `${artifacts}/machine-link-booted.png` });

    // The Share button gives the running machine back as a version-2 link: the same devices, placed.
    await page.locator("#share-button").click();
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>("#share-panel .share-url")?.value ?? "") !== "");
    const shared = new URL(await page.locator("#share-panel .share-url").inputValue());
    expect(shared.hash).toMatch(/^#demo=2\./);
    expect(shared.hash.length).toBeLessThan(1000);
    expect(unplaced(await decodeShareFragment(shared.hash))).toEqual(DEMO);
    expect(await page.locator("#share-panel .share-machine").innerText()).toMatch(/^Machine: 2 network cards \(eth0: .*; eth1: .*\), 2 disks \(vda: .*; vdb: a 16 MiB disk in memory\) \(6 devices\)\.$/);
    await page.screenshot({ path: `${artifacts}/machine-link-share-panel.png` });
    expect(errors).toEqual([]);
    await page.close();
  }, LONG);

  const raw = async (content: unknown): Promise<string> => `demo=2.${toBase64Url(await deflateRaw(new TextEncoder().encode(JSON.stringify(content))))}`;
  const withDevice = (i: number, device: unknown): unknown => {
    const devices: unknown[] = [...DEMO.machine.devices];
    devices[i] = device;
    return { ...DEMO, machine: { ...DEMO.machine, devices } };
  };
  const refused: Array<{ name: string; content: unknown; message: RegExp }> = [
    {
      name: "file",
      content: withDevice(3, { type: "virtio-blk", options: { backend: { kind: "file", path: "/etc/passwd" } } }),
      message: /devices\[3\]\.options\.backend\.kind must be "memory" or "opfs": a share link cannot name a file on this computer/,
    },
    {
      name: "relay",
      content: withDevice(5, { type: "virtio-net", options: { backend: { kind: "relay", url: "wss://evil.example/" } } }),
      message: /devices\[5\]\.options\.backend\.kind must be "host" or "switch": a relay would make this browser connect to a server the link chose/,
    },
    {
      name: "storage-name",
      content: withDevice(3, { type: "virtio-blk", options: { backend: { kind: "opfs", name: "ringside-restore-x.state", sizeMiB: 16 } } }),
      message: /devices\[3\]\.options\.backend\.name must be ringside-NAME\.img/,
    },
    {
      name: "bad-field",
      content: withDevice(4, { type: "virtio-net", transport: { kind: "pci", slot: 40 }, options: { backend: { kind: "host" } } }),
      message: /the link's machine: devices\[4\]\.transport\.slot must be an integer from 1 to 31 \(got 40\)/,
    },
  ];

  for (const c of refused) {
    it(`refuses a version-2 link with a ${c.name}: names the field, starts nothing`, async () => {
      const { page, workers, errors } = await open(site, await raw(c.content));
      expect(await page.evaluate(() => document.body.dataset.state)).toBe("error");
      expect(await page.locator("#error-panel .error-title").innerText()).toBe("This share link cannot be used");
      const message = await page.locator("#error-panel .error-message").innerText();
      expect(message).toMatch(c.message);
      expect(message).toMatch(/Nothing from the link was run/);
      expect(workers).toEqual([]);
      expect(await page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: object }).ringsideBoot))).toEqual([]);
      expect(await page.locator("#share-banner").isHidden()).toBe(true);
      expect(errors).toEqual([]);
      await page.screenshot({ path: `${artifacts}/machine-link-refused-${c.name}.png` });
      await page.close();
    });
  }
});
