// The inspector on packed rings in Chromium: a share link's machine whose console and
// network card offer packed rings (ring: "packed") boots with the inspector open; while the
// guest downloads, the network card's queues are drawn as packed rings whose slot owners
// agree with the wrap counters and positions shown beside them, slots taken by the device
// or used and not yet reclaimed appear, and a clicked slot shows its buffer's chain with its
// buffer ID. Screenshots go to test-results/ (and /work/screens/ when it exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { waitForShell } from "../support/page-shell.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";

const DOWNLOAD = "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=67108864&seed=1'";
const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;

const pci = { kind: "pci" as const };
const PACKED: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci, ring: "packed" },
      { type: "virtio-rng", transport: pci },
      { type: "virtio-net", transport: pci, ring: "packed", options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
    ],
  },
  cmdlineExtras: "",
  script: "",
  panel: "inspector",
};

/** One consistent reading of a queue card: its data-* and its canvas's, taken in one go. */
interface Reading {
  layout: string;
  slots: string;
  marks: string;
  nextAvail: number;
  availWrap: string;
  nextUsed: number;
  usedWrap: string;
  takenSlots: number;
  fields: string;
}

async function read(queue: Locator): Promise<Reading> {
  return queue.evaluate((q) => {
    const card = q as HTMLElement;
    const canvas = card.querySelector<HTMLCanvasElement>("canvas.ring-picture")!;
    const d = card.dataset;
    return {
      layout: d.layout ?? "", slots: canvas.dataset.slots ?? "", marks: canvas.dataset.wrapMarks ?? "",
      nextAvail: Number(d.nextAvail), availWrap: d.availWrap ?? "", nextUsed: Number(d.nextUsed), usedWrap: d.usedWrap ?? "",
      takenSlots: Number(d.takenSlots), fields: card.querySelector<HTMLElement>(".packed-fields")?.innerText ?? "",
    };
  });
}

/** The picture agrees with the counters: taken from next-used, available from next-avail, each available slot passing the spec's test. */
function checkConsistent(r: Reading): void {
  const n = r.slots.length;
  expect(r.slots).toMatch(/^[fahuAHU]+$/);
  expect(r.marks).toMatch(new RegExp(`^[0-3]{${n}}$`));
  for (let k = 0; k < r.takenSlots; k++) expect(r.slots[(r.nextUsed + k) % n]!.toLowerCase()).toBe("h");
  expect([...r.slots].filter((c) => c === "h" || c === "H")).toHaveLength(r.takenSlots);
  for (let s = 0; s < n; s++) if (r.slots[s] === "a" || r.slots[s] === "A") expect(r.marks[s]).toBe("1");
  // Available slots run unbroken from next-avail (unless the device caught up with the driver).
  const available = [...r.slots].filter((c) => c === "a" || c === "A").length;
  for (let k = 0; k < available; k++) expect(r.slots[(r.nextAvail + k) % n]!.toLowerCase()).toBe("a");
}

/** The card's fields (rewritten at most four times a second, and only on screen) say what its data says. */
const fieldsAgree = (r: Reading): boolean =>
  new RegExp(`device next avail\\s+slot ${r.nextAvail}, wrap ${r.availWrap}\\s`).test(r.fields) &&
  new RegExp(`device next used\\s+slot ${r.nextUsed}, wrap ${r.usedWrap}\\s`).test(r.fields);

describe("the inspector on packed rings", () => {
  let site: BuiltSite;
  let page: Page;
  let rx: Locator;
  let tx: Locator;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1100 });
    await page.goto(`${site.url}#${await encodeShareFragment(PACKED)}`);
    await waitForShell(page);
    rx = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]');
    tx = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="transmitq1"]');
  });
  afterAll(async () => {
    await site?.close();
  });

  it("draws the network card's and the console's queues as packed rings, consistent with their counters", async () => {
    await rx.waitFor();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]')?.dataset.layout === "packed");
    const consoleQueues = page.locator('#inspector .queue[data-device="virtio-console"]');
    expect(await consoleQueues.evaluateAll((qs) => qs.map((q) => (q as HTMLElement).dataset.layout))).toContain("packed");
    const r = await read(rx);
    checkConsistent(r);
    // Linux fills the receive ring with buffers for the device.
    expect(r.slots).toMatch(/a/);
    await rx.scrollIntoViewIfNeeded();
    await expect.poll(async () => fieldsAgree(await read(rx)), { timeout: 10_000 }).toBe(true);
    expect((await read(rx)).fields).toMatch(/driver event\s+(ENABLE|DISABLE|DESC: slot \d+, wrap [01])/);
  });

  it("moves while the guest downloads, showing slots taken or used", async () => {
    await page.locator("#terminal").click();
    await typeLine(page, `clear; (while :; do ${DOWNLOAD}; done) &`);
    const seen = new Set<string>();
    const wraps = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(seen.has("h") && seen.has("u") && wraps.size > 1)) {
      for (const q of [rx, tx]) {
        const r = await read(q);
        checkConsistent(r);
        for (const c of r.slots.toLowerCase()) seen.add(c);
        wraps.add(`${r.availWrap}${r.usedWrap}`);
      }
      await page.waitForTimeout(60);
    }
    expect(seen.has("h") || seen.has("u")).toBe(true);
    // The rings went round: the device's wrap counters took both values.
    expect(wraps.size).toBeGreaterThan(1);
    await rx.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENS}/inspector-packed-download.png` });
    await rx.locator("canvas.ring-picture").screenshot({ path: `${SCREENS}/inspector-packed-ring.png` });
  });

  it("shows the chain of a clicked slot with its buffer ID", async () => {
    const canvas = rx.locator("canvas.ring-picture");
    const data = await canvas.evaluate((c) => ({ ...(c as HTMLElement).dataset }));
    const slot = (data.slots ?? "").search(/[ahu]/);
    expect(slot).toBeGreaterThanOrEqual(0);
    const [cols, cell, pitch, pad] = [data.cols, data.cell, data.pitch, data.pad].map(Number) as [number, number, number, number];
    await canvas.click({ position: { x: pad + (slot % cols) * pitch + cell / 2, y: pad + Math.floor(slot / cols) * pitch + cell / 2 } });
    const chain = rx.locator(".chain-view");
    await rx.locator('.chain-view[data-status="shown"]').waitFor();
    expect(await chain.locator(".chain-title").innerText()).toContain(`slot ${slot}`);
    expect(await chain.getAttribute("data-buffer-id")).toMatch(/^\d+$/);
    expect(await chain.locator(".chain-summary").innerText()).toMatch(/^buffer ID \d+ · starts at slot \d+ · (available|held|used|free)/);
    expect(await chain.locator(".chain-descriptors thead").innerText()).toMatch(/slot.*id/s);
    // Every descriptor's flags by name. (Not necessarily AVAIL or USED: in a lap whose wrap
    // counter is 0, a used descriptor carries neither, and an available one only USED.)
    const FLAG = "(NEXT|WRITE|INDIRECT|AVAIL|USED)";
    const FLAGS = `(0|${FLAG}(\\|${FLAG})*)`;
    expect(await chain.getAttribute("data-flags")).toMatch(new RegExp(`^${FLAGS}(,${FLAGS})*$`));
    await chain.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENS}/inspector-packed-chain.png` });
    await page.locator("#terminal").click();
    await typeLine(page, "kill %1; echo stopped-$((1+1))");
    await waitForScreen(page, /^stopped-2$/m);
    expect(pageErrors).toEqual([]);
  });
});
