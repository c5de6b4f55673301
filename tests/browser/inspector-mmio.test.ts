// The inspector's virtio-mmio list in Chromium: a share link's machine with its console on
// PCI and its rng and network card on virtio-mmio boots with the inspector open; the list
// shows each window's place and registers (magic "virt", version 2, device ID, status with
// DRIVER_OK, ready queues), the devices' cards carry their window's address, and the rx
// queue's card moves while the guest downloads through the mmio card. A screenshot goes to
// test-results/ (and /work/screens/ when it exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { waitForShell } from "../support/page-shell.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";

const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;
const mmio = { kind: "mmio" as const };
const MMIO_MACHINE: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: { kind: "pci" } },
      { type: "virtio-rng", transport: mmio },
      { type: "virtio-net", transport: mmio, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
    ],
  },
  cmdlineExtras: "",
  script: "",
  panel: "inspector",
};

/** The mmio table's rows as text, cell by cell. */
async function mmioRows(page: Page): Promise<string[][]> {
  return page.locator("#inspector .mmio-table tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => (td as HTMLElement).innerText)));
}

describe("the inspector's virtio-mmio list", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1100 });
    await page.goto(`${site.url}#${await encodeShareFragment(MMIO_MACHINE)}`);
    await waitForShell(page);
  });
  afterAll(async () => {
    await site?.close();
  });

  it("lists each window with its IRQ and registers, and the device cards carry the window's address", async () => {
    await expect.poll(async () => (await mmioRows(page)).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(async () => (await mmioRows(page)).map((r) => r[6]), { timeout: 10_000 }).toEqual(["0x0f", "0x0f"]);
    const [rng, net] = await mmioRows(page);
    expect(rng!.slice(0, 6)).toEqual(["0xd0000000+0x200", "5", "virtio-rng", '0x74726976 "virt"', "2", "4"]);
    expect(net!.slice(0, 6)).toEqual(["0xd0000200+0x200", "9", "virtio-net", '0x74726976 "virt"', "2", "1"]);
    // All three queues (rx, tx, control) set up by Linux; the last one it selected was the control queue.
    expect(net!.slice(8)).toEqual(["2", "0: 256/256 ready\n1: 256/256 ready\n2: 256/256 ready"]);
    expect(await page.locator("#inspector .inspector-mmio").isVisible()).toBe(true);
    const addresses = await page.locator("#inspector .device-address").allInnerTexts();
    expect(addresses).toEqual(expect.arrayContaining(["mmio@0xd0000000", "mmio@0xd0000200"]));
    // PCI still lists the console's function.
    expect(await page.locator("#inspector .pci-table:not(.mmio-table) tbody tr.ours").count()).toBe(1);
  });

  it("shows the mmio card's receive queue moving during a download", async () => {
    const counters = () => page.evaluate(async () => {
      const devices = await (window as unknown as { ringsideDevices(): Promise<Array<{ type: string; mmio?: { irq: number }; virtio: { queues: Array<{ ring?: { counters: { bytesWritten: number } } }> } }>> }).ringsideDevices();
      const net = devices.find((d) => d.type === "virtio-net")!;
      return { irq: net.mmio?.irq, rx: net.virtio.queues[0]?.ring?.counters.bytesWritten ?? 0 };
    });
    const before = await counters();
    expect(before.irq).toBe(9);
    await page.locator("#terminal").click();
    await typeLine(page, "clear; wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=16777216&seed=1'; echo done-$?");
    await waitForScreen(page, /done-0/);
    expect((await counters()).rx - before.rx).toBeGreaterThan(16 * 1024 * 1024);
    await page.locator("#inspector .inspector-mmio").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENS}/inspector-mmio.png` });
    expect(pageErrors).toEqual([]);
  });
});
