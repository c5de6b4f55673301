// Decoded chains in Chromium, on one page load: a share link's machine with a network card
// and a disk boots with the inspector open; while the guest downloads and reads its disk,
// a clicked receive or transmit chain shows its Ethernet, IPv4 and TCP headers with the
// 10.0.2.x addresses and port 80, a receive buffer the card has not filled yet says it is
// stale, and a disk chain shows its request's type and sector, or why it cannot (the disk
// serves requests inside the kick, and the driver frees their indirect tables at once; the
// unit tests decode requests in flight). Screenshots go to test-results/
// (and /work/screens/decode-*.png when that folder exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, existsSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { waitForShell } from "../support/page-shell.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";

// Downloads and disk reads in bursts with a pause between: a ring that moves non-stop laps
// before a click reaches the machine (the driver reclaims and reposts receive buffers within
// moments), while between bursts the chains last returned stay where the click finds them.
const DOWNLOAD = "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=131072&seed=1'";
const DISK_READS = "dd if=/dev/vda of=/dev/null bs=4k count=32 iflag=direct 2>/dev/null";
/** Saves a screenshot under test-results/, and a copy in /work/screens when that folder exists. */
async function keep(shoot: (options: { path: string }) => Promise<unknown>, name: string): Promise<void> {
  await shoot({ path: `${artifacts}/${name}` });
  if (existsSync("/work/screens")) copyFileSync(`${artifacts}/${name}`, `/work/screens/${name}`);
}

const pci = { kind: "pci" as const };
const MACHINE: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci },
      { type: "virtio-rng", transport: pci },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
      { type: "virtio-blk", transport: pci, options: { backend: { kind: "memory", sizeMiB: 16 }, readOnly: false } },
    ],
  },
  cmdlineExtras: "",
  script: "",
  panel: "inspector",
};

/** What a shown chain view says, read in one go. */
interface Shown {
  title: string;
  summary: string;
  layers: string[];
  note: string;
  stale: string;
  staleText: string;
  fields: Record<string, Record<string, string>>;
}

describe("decoded chains in the inspector", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];
  const queue = (device: string, name: string) => page.locator(`#inspector .queue[data-device="${device}"][data-queue-name="${name}"]`);

  /** Clicks slot `slot` of `q`'s ring picture and returns the chain view once it shows that slot. */
  async function clickSlot(q: Locator, slot: number): Promise<Shown> {
    const canvas = q.locator("canvas.ring-picture");
    const data = await canvas.evaluate((c) => ({ ...(c as HTMLElement).dataset }));
    const [cols, cell, pitch, pad] = [data.cols, data.cell, data.pitch, data.pad].map(Number) as [number, number, number, number];
    const chain = q.locator(".chain-view");
    const showsSlot = async (s: number) =>
      page.waitForFunction(
        ([c, n]) => c !== null && (c as HTMLElement).dataset.status === "shown" && (c as HTMLElement).querySelector(".chain-title")?.textContent?.endsWith(`slot ${n}`),
        [await chain.elementHandle(), s] as const,
        { timeout: 5000 },
      );
    // A card's counters can wrap onto another line between Playwright measuring the canvas
    // and the click landing, so a click now and then opens the slot a row away (the page
    // reads the pointer against the canvas as it is then, so the view it opens is right
    // for where the click landed). A view of another slot is clicked again, twice at most;
    // a view that never opens still fails at once.
    for (let attempt = 1; ; attempt++) {
      // The chain view opening under another card moves this one: bring it back each time.
      await canvas.evaluate((c) => c.scrollIntoView({ block: "center" }));
      // force: a canvas redrawn ten times a second is never "stable" enough for the usual checks.
      await canvas.click({ position: { x: pad + (slot % cols) * pitch + cell / 2, y: pad + Math.floor(slot / cols) * pitch + cell / 2 }, force: true });
      const failure = await showsSlot(slot).then(() => undefined, (e: unknown) => e);
      if (failure === undefined) break;
      const title = await chain.locator(".chain-title").textContent().catch(() => null);
      const otherSlot = (await chain.getAttribute("data-status")) === "shown" && /slot \d+$/.test(title ?? "");
      if (otherSlot && attempt < 3) continue;
      await keep((o) => page.screenshot(o), "decode-click-failed.png");
      throw new Error(`clicked slot ${slot} at ${JSON.stringify(data)} (try ${attempt}), the chain view says ${JSON.stringify(title)}: ${String(failure)}`);
    }
    return chain.evaluate((c) => {
      const root = c as HTMLElement;
      const fields: Record<string, Record<string, string>> = {};
      for (const layer of root.querySelectorAll<HTMLElement>(".decoded-layer")) {
        const named: Record<string, string> = {};
        for (const f of layer.querySelectorAll<HTMLElement>(".decoded-field")) named[f.dataset.field ?? ""] = f.querySelector("dd")?.textContent ?? "";
        fields[layer.dataset.layer ?? ""] = named;
      }
      return {
        title: root.querySelector(".chain-title")?.textContent ?? "",
        summary: root.querySelector(".chain-summary")?.textContent ?? "",
        layers: (root.querySelector<HTMLElement>(".chain-decoded")?.dataset.layers ?? "").split(",").filter(Boolean),
        note: root.querySelector(".decoded-note")?.textContent ?? "",
        stale: root.dataset.stale ?? "",
        staleText: root.querySelector<HTMLElement>(".chain-stale")?.innerText ?? "",
        fields,
      };
    });
  }

  /**
   * Clicks slots `pick` chooses (from the card's counters and letters, read afresh each try:
   * the rings move under the pointer while the guest runs) until one shows what `wanted` accepts.
   */
  async function findChain(q: Locator, pick: (slots: string, usedIdx: number, n: number) => number, wanted: (s: Shown) => boolean, tries: number): Promise<Shown | undefined> {
    const seen: Shown[] = [];
    for (let n = 0; n < tries; n++) {
      const { slots, usedIdx } = await q.evaluate((card) => ({
        slots: card.querySelector<HTMLElement>("canvas.ring-picture")?.dataset.slots ?? "",
        usedIdx: Number((card as HTMLElement).dataset.usedIdx),
      }));
      const slot = pick(slots, usedIdx, n);
      if (slot < 0) continue;
      const shown = await clickSlot(q, slot);
      if (wanted(shown)) return shown;
      seen.push(shown);
    }
    lastMisses = seen.slice(-3);
    return undefined;
  }
  let lastMisses: Shown[] = [];
  const missed = (what: string) => `${what}; the last views: ${JSON.stringify(lastMisses)}`;

  /** The slot of the k-th most recent chain the device returned (in-order devices: avail and used positions agree). */
  const behindUsed = (k: (n: number) => number) => (slots: string, usedIdx: number, n: number) => (usedIdx - 1 - k(n) + 0x10000 * 4) % slots.length;
  const withLetter = (letters: RegExp) => (slots: string, _used: number, n: number) => {
    const candidates = [...slots].flatMap((c, i) => (letters.test(c) ? [i] : []));
    return candidates.length > 0 ? candidates[(n * 7) % candidates.length]! : -1;
  };

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1100 });
    await page.goto(`${site.url}#${await encodeShareFragment(MACHINE)}`);
    await waitForShell(page);
  });
  afterAll(async () => {
    await site?.close();
  });

  it("decodes frames, marks unfilled receive buffers stale, and decodes a disk request or says why not", async () => {
    const rx = queue("virtio-net", "receiveq1");
    const tx = queue("virtio-net", "transmitq1");
    const disk = queue("virtio-blk", "requestq");
    await rx.waitFor();
    await page.locator("#terminal").click();
    await typeLine(page, `clear; (n=0; while :; do ${DOWNLOAD}; ${DISK_READS}; n=$((n+1)); [ $n = 1 ] && echo burst-$((n+1))-begins; sleep 1; done) &`);
    // (Printed by the shell's arithmetic, so the typed line itself never matches.)
    await waitForScreen(page, /burst-2-begins/).catch(async (e: unknown) => {
      await keep((o) => page.screenshot(o), "decode-burst-failed.png");
      throw e;
    });

    // A frame the card delivered: from the host (10.0.2.2) port 80 to the guest, among the
    // chains it returned last.
    const tcp = (s: Shown) => s.layers.join(",") === "virtio-net header,Ethernet,IPv4,TCP";
    const received = await findChain(rx, behindUsed((n) => n % 8), tcp, 30);
    expect(received, missed("a filled receive buffer decodes as virtio-net header, Ethernet, IPv4, TCP")).toBeDefined();
    expect(received!.fields.IPv4!.src).toMatch(/^10\.0\.2\.\d+$/);
    expect(received!.fields.IPv4!.dst).toMatch(/^10\.0\.2\.\d+$/);
    expect(received!.fields.TCP!["src port"]).toBe("80 (HTTP)");
    expect(received!.stale).toBe("");
    await rx.locator(".chain-view").scrollIntoViewIfNeeded();
    await keep((o) => page.screenshot(o), "decode-rx.png");
    await keep((o) => rx.locator(".chain-view").screenshot(o), "decode-rx-chain.png");

    // A receive buffer posted and not filled yet: stale, in words.
    const waiting = await findChain(rx, withLetter(/[ah]/), (s) => s.stale !== "", 10);
    expect(waiting, missed("an available receive buffer is marked stale")).toBeDefined();
    expect(waiting!.staleText).toMatch(/stale: the device has not written this buffer yet; these bytes are from before/);
    expect(waiting!.layers).toEqual([]);
    await keep((o) => rx.locator(".chain-view").screenshot(o), "decode-stale.png");

    // A frame the guest sent: to port 80. Only a chain the driver has not yet taken back is
    // sure to hold its frame (Linux frees a sent frame's memory at once, and hands the one
    // free descriptor to the next frame), so this is looked for a few times, not required.
    const sent = await findChain(tx, behindUsed((n) => n % 2), tcp, 4);
    if (sent) {
      expect(sent.fields.IPv4!.src).toMatch(/^10\.0\.2\.\d+$/);
      expect(sent.fields.TCP!["dst port"]).toBe("80 (HTTP)");
      await keep((o) => tx.locator(".chain-view").screenshot(o), "decode-tx-chain.png");
    }

    // A disk request: its type by name and its sector, when one can be caught. The disk
    // serves a request inside the driver's kick, and Linux frees its indirect table as soon
    // as it is back, so by the time a click arrives the newest chain is usually gone: then
    // the view must say so rather than decode what the freed memory holds now.
    const isRequest = (s: Shown) => /^\d+ (IN|OUT|FLUSH|GET_ID)$/.test(s.fields["virtio-blk request"]?.type ?? "");
    const explained = (s: Shown) => isRequest(s) || /^(not decoded|free: )/.test(s.note);
    const request = await findChain(disk, behindUsed(() => 0), explained, 4);
    expect(request, missed("a disk chain is decoded as a request or says why not")).toBeDefined();
    if (isRequest(request!)) {
      expect(request!.fields["virtio-blk request"]!.sector).toMatch(/^\d+$/);
      expect(request!.fields["virtio-blk request"]!["byte offset"]).toMatch(/^\d+/);
    }
    await disk.locator(".chain-view").scrollIntoViewIfNeeded();
    await keep((o) => page.screenshot(o), "decode-blk.png");
    await keep((o) => disk.locator(".chain-view").screenshot(o), "decode-blk-chain.png");

    await page.locator("#terminal").click();
    await typeLine(page, "kill %1; echo stopped-$((1+1))");
    await waitForScreen(page, /^stopped-2$/m);
    expect(pageErrors).toEqual([]);
  });
});
