// The inspector's packet capture on the built page in Chromium: Start, a download in the
// guest, Stop, Download. tcpdump reads the downloaded file: it holds exactly the frames the
// guest's driver counted while the capture ran, and the HTTP body rebuilt from it hashes to
// the blob the guest fetched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { httpBody, packets, stream, tcpSegment } from "../support/pcap-read.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";

const LONG = 180_000;
const BYTES = 250_000;
const SEED = 5;
const COUNT = "$(( $(cat /sys/class/net/eth0/statistics/tx_packets) + $(cat /sys/class/net/eth0/statistics/rx_packets) ))";

describe("the inspector's packet capture", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${site.url}?disk=none&share=none`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: BOOT_TIMEOUT });
    await waitForScreen(page, /ringside:~# /, BOOT_TIMEOUT);
  }, LONG);
  afterAll(async () => {
    await site?.close();
  });

  it("captures a download that tcpdump reads back: every frame the guest counted, the body intact", async () => {
    await page.locator("#inspector-toggle").click();
    const control = page.locator("#inspector .capture-control");
    const status = control.locator(".capture-status");
    await expect.poll(() => control.locator(".capture-start").isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(await control.locator(".capture-download").isDisabled()).toBe(true);
    await control.locator(".capture-start").click();
    await expect.poll(() => status.textContent()).toMatch(/^Capturing: 0 frames/);

    await page.locator("#terminal").click();
    // The guest counts its own frames around the download (nothing else uses the network).
    await typeLine(page, `b=${COUNT}; wget -q -O - 'http://10.0.2.2/blob?bytes=${BYTES}&seed=${SEED}' | sha256sum; sleep 1; echo frames=$((${COUNT} - b))`);
    const screen = await waitForScreen(page, /frames=\d+/, 60_000);
    const guestFrames = Number(/frames=(\d+)/.exec(screen)![1]);
    expect(screen).toContain(blobSha256(BYTES, SEED));
    await expect.poll(() => status.textContent(), { timeout: 5_000 }).toMatch(new RegExp(`^Capturing: ${guestFrames} frames`));

    await control.locator(".capture-stop").click();
    await expect.poll(() => status.textContent()).toMatch(new RegExp(`^Stopped: ${guestFrames} frames, [\\d.]+ KiB of 64\\.0 MiB\\.$`));
    await page.screenshot({ path: `${artifacts}/capture-control.png` });
    const [download] = await Promise.all([page.waitForEvent("download"), control.locator(".capture-download").click()]);
    expect(download.suggestedFilename()).toBe("ringside-eth0.pcapng");
    const file = await download.path();

    const all = packets(file);
    expect(all.length).toBe(guestFrames);
    const segments = all.flatMap((p) => tcpSegment(p.bytes) ?? []);
    const client = segments.find((s) => s.syn && s.to === "10.0.2.2:80")!.from;
    const body = httpBody(stream(segments, "10.0.2.2:80", client));
    expect(createHash("sha256").update(body).digest("hex")).toBe(blobSha256(BYTES, SEED));
    expect((await readFile(file)).includes("frames as the guest sees them")).toBe(true);
    expect(pageErrors).toEqual([]);
  }, LONG);
});
