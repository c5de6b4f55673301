// A hostile guest against the page in Chromium (issue 12, point 5): the attack tool
// (images/tools/attack) runs inside the page's guest, in the page's Web Worker. It floods
// the virtio console with hand-made transmit chains of 256 MiB each (Linux's driver
// unbound, so the shell on hvc0 hangs up and comes back when the driver is re-bound); then
// the shell prints 8 MiB through Linux's own console driver as fast as it can, prints
// without end until Ctrl-C, and does so again while the page is too slow to keep up (the
// console must hold the guest back); then the tool floods the in-worker host network with
// SYNs and holds 300 connections that never read. After each: the terminal answers a
// command, page.evaluate answers, the page reported no error, the renderer did not crash,
// the machine's worker did not close, the kernel logged no trouble, and the devices still
// work (a download checked by sha256, /dev/hwrng, every device active). The floods print
// text (`yes`), not /dev/urandom: random bytes hold escape sequences that make xterm answer
// into the guest's input and leave the screen in modes no reader could check.
// An answer must come within a generous 10 s; the test prints what it measured (the issue
// hopes for a second; wall-clock speed is not asserted on this shared machine).
// How the tool gets into the guest: tests/support/page-attack-boot.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { openAttackPage, type AttackPage } from "../support/page-attack-boot.js";
import {
  ANSWER_TIMEOUT, describeSamples, devicesByName, evaluateMs, expectDevicesWork, expectSamplesBounded, markerAnswer, sampleWhile, shellAnswer,
  throttlePage, withinBound, type FloodSamples,
} from "../support/page-attack.js";
import { KERNEL_TROUBLE } from "../support/attack-rig.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";

const T = 300_000;
const MiB = 1024 * 1024;
const PLAIN_FLOOD_BYTES = 8 * MiB;
/** The guest's bound on the plain flood (about 15 s here: Linux's hvc path, not the page, is the slow part). */
const PLAIN_FLOOD_SECONDS = 270;
/** The hand-driven flood: 4 chains of 256 MiB per doorbell; each prints its first 64 KiB, so 16 MiB in all, 16 times the page's window. */
const FLOOD_KICKS = 64;
const FLOOD_CHAINS = 4 * FLOOD_KICKS;
/** A line for the plain floods (`yes` prints it again and again): text only, nothing xterm would answer. */
const FLOOD_LINE = "ringside plain flood 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** How much slower the page's main thread runs in the slow-page case, how long the guest prints, and the bound on seeing Ctrl-C's prompt then. */
const SLOW_PAGE_RATE = 30;
const SLOW_FLOOD_MS = 12_000;
const SLOW_PROMPT_BOUND = 60_000;
const PROMPT_AT_END = /ringside:~# \s*$/;
/** The hand-driven flood's last line; written past the tty (no carriage returns), so it may start anywhere on a row and wrap. */
const PROBE = "ringside-console-flood-probe";

/** A pattern for `text` (no regex metacharacters in it) that also matches it wrapped across rows. */
function wrapping(text: string): string {
  return [...text].join("\\n?");
}

describe("a hostile guest against the page in Chromium", () => {
  let site: BuiltSite;
  let ap: AttackPage;
  let page: Page;
  let marker = 0;
  const figures: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    ap = await openAttackPage(site);
    page = ap.page;
  }, 3 * BOOT_TIMEOUT);
  afterAll(async () => {
    if (figures.length > 0) console.log(`attack in Chromium, measured on this machine:\n  ${figures.join("\n  ")}`);
    await site?.close();
  });

  /** After a phase: the terminal answers a command (then a screenshot) and the page answers, nothing died, the kernel is clean. */
  async function expectTabAnswers(phase: string, screenshot: string): Promise<void> {
    const answer = await markerAnswer(page, ++marker);
    const evaluate = await evaluateMs(page, `${phase}: page.evaluate`);
    figures.push(`${phase}: echo marker-${marker} answered ${answer.fromEnter.toFixed(0)} ms after Enter ` +
      `(${answer.fromTyping.toFixed(0)} ms from the first keystroke); page.evaluate ${evaluate.toFixed(0)} ms`);
    expect(answer.fromEnter).toBeLessThan(ANSWER_TIMEOUT);
    // The screen as the phase left it, with the marker's answer under it.
    await page.screenshot({ path: `${artifacts}/${screenshot}` });
    await ap.watch.expectHealthy(page, phase);
    const serial = (await page.locator("#serial-log").textContent()) ?? "";
    expect(serial, `${phase}: the kernel log on the serial port`).not.toMatch(KERNEL_TROUBLE);
    const trouble = await shellAnswer(page, "echo trouble-$(dmesg | grep -cE 'BUG:|Oops|WARNING:|nobody cared|Disabling IRQ')", /^trouble-(\d+)$/m, 30_000);
    expect(trouble, `${phase}: kernel trouble in dmesg`).toBe("0");
  }

  it("has the tool in the guest, the kernel on mem=192M, and the console where the shell runs", async () => {
    expect(ap.consoleAddress).toMatch(/^0000:00:[0-9a-f]{2}\.0$/);
    const shellTty = await shellAnswer(page, "echo tty-$(readlink /proc/$$/fd/0)", /^tty-(\S+)$/m, 30_000);
    expect(shellTty).toBe("/dev/hvc0");
    await expectTabAnswers("after boot", "attack-ready.png");
  }, T);

  it("console-flood: 256 transmit chains of 256 MiB each, by hand, with Linux's driver unbound; the shell comes back on re-bind", async () => {
    // The tool unbinds the console's driver, which hangs up the shell on hvc0: it runs in
    // a session of its own with its output in a file, re-binds the driver when it is done,
    // and init then starts a new shell on hvc0 (it retries every second meanwhile).
    const address = ap.consoleAddress;
    await typeLine(
      page,
      `clear; setsid sh -c 'timeout 240 /tmp/attack console-flood ${address} --kicks ${FLOOD_KICKS} > /tmp/flood.out 2>&1; ` +
        `echo ${address} > /sys/bus/pci/drivers/virtio-pci/bind' < /dev/null > /dev/null 2>&1 &`,
    );
    const started = performance.now();
    // The chains print their first 64 KiB each (lines of letters, written past the tty,
    // so with no carriage returns), then the tool's probe line, then the new shell's prompt.
    const { samples } = await sampleWhile(page, waitForScreen(page, new RegExp(`${wrapping(PROBE)}[\\s\\S]*ringside:~# `), 240_000), 250);
    figures.push(`console-flood: the new shell's prompt ${((performance.now() - started) / 1000).toFixed(1)} s after Enter; meanwhile ${describeSamples(samples)}`);
    expectSamplesBounded(samples);
    await expectTabAnswers("console-flood", "attack-console-flood.png");
    const results = await shellAnswer(page, "echo flood $(grep -E '^(bytes_per_chain|chains_used|probe_used|result)=' /tmp/flood.out | tr '\\n' ' ')", /^flood (.*)$/m, 30_000);
    expect(results.trim()).toBe(`bytes_per_chain=${256 * MiB} chains_used=${FLOOD_CHAINS} probe_used=1 result=done`);
    const device = (await devicesByName(page)).get("virtio-console");
    expect(device?.active, "the console is active again under Linux's driver").toBe(true);
    expect(device?.lastError).toBeUndefined();
    await expectDevicesWork(page, 1);
  }, T);

  it("prints 8 MiB through Linux's console driver as fast as it can; the page answers meanwhile and after", async () => {
    await typeLine(page, `clear; yes '${FLOOD_LINE}' | timeout ${PLAIN_FLOOD_SECONDS} head -c ${PLAIN_FLOOD_BYTES}; echo; echo plain-done-$?`);
    const started = performance.now();
    const { samples } = await sampleWhile(page, waitForScreen(page, /^plain-done-\d+$/m, PLAIN_FLOOD_SECONDS * 1000), 250);
    const seconds = (performance.now() - started) / 1000;
    figures.push(`plain flood: ${PLAIN_FLOOD_BYTES / MiB} MiB shown in ${seconds.toFixed(1)} s (${(PLAIN_FLOOD_BYTES / MiB / seconds).toFixed(2)} MiB/s); meanwhile ${describeSamples(samples)}`);
    expect(await waitForScreen(page, /^plain-done-\d+$/m, 1000)).toMatch(/^plain-done-0$/m);
    expectSamplesBounded(samples);
    await expectTabAnswers("plain flood", "attack-plain-flood.png");
    await expectDevicesWork(page, 2);
  }, T + PLAIN_FLOOD_SECONDS * 1000);

  it("stops an endless flood on Ctrl-C", async () => {
    await typeLine(page, `clear; yes '${FLOOD_LINE}'`);
    await waitForScreen(page, new RegExp(`^${FLOOD_LINE}\n${FLOOD_LINE}$`, "m"), 30_000);
    const { samples } = await sampleWhile(page, new Promise((r) => setTimeout(r, 3000)), 250);
    // A Ctrl-C that lands before the shell made yes the foreground job is lost: press again
    // (a few times at most) until the prompt is back.
    const pressed = performance.now();
    let back = false;
    for (let attempt = 0; attempt < 5 && !back; attempt++) {
      await page.keyboard.press("Control+C");
      back = await waitForScreen(page, PROMPT_AT_END, 2000).then(() => true, () => false);
    }
    const ms = performance.now() - pressed;
    figures.push(`endless flood: the prompt back ${ms.toFixed(0)} ms after Ctrl-C; while it printed: ${describeSamples(samples)}`);
    expect(back, "the prompt came back after Ctrl-C").toBe(true);
    expectSamplesBounded(samples);
    expect(ms).toBeLessThan(ANSWER_TIMEOUT);
    const left = await shellAnswer(page, "echo left-$(pidof yes | wc -w)", /^left-(\d+)$/m, 30_000);
    expect(left, "yes processes left").toBe("0");
    await expectTabAnswers("endless flood", "attack-ctrl-c.png");
  }, T);

  it("holds the guest back while the page is too slow to draw: chains wait in the ring, and Ctrl-C after 12 s of output is shown in bounded time", async () => {
    // With the page's main thread 30 times slower, xterm draws far less than Linux prints
    // (about 0.5 MiB/s here): the console must leave hvc's transmit buffer in the ring
    // while xterm is a window (1 MiB) behind. Without that, 12 s of output would queue up
    // ahead of the ^C and the new prompt: minutes of drawing at this speed, where the window
    // leaves 8-16 s here (a 1 MiB window; the bound, 60 s, is far from both).
    const restore = await throttlePage(page, SLOW_PAGE_RATE);
    let ms = Number.NaN;
    let samples: FloodSamples;
    try {
      await typeLine(page, `clear; yes '${FLOOD_LINE}'`);
      await waitForScreen(page, new RegExp(`^${FLOOD_LINE}$`, "m"), 60_000);
      ({ samples } = await sampleWhile(page, new Promise((r) => setTimeout(r, SLOW_FLOOD_MS)), 250));
      const pressed = performance.now();
      await page.keyboard.press("Control+C");
      await waitForScreen(page, PROMPT_AT_END, SLOW_PROMPT_BOUND);
      ms = performance.now() - pressed;
    } finally {
      await restore();
    }
    figures.push(`slow page (CPU throttled ${SLOW_PAGE_RATE}x): the prompt back ${ms.toFixed(0)} ms after Ctrl-C, after ${SLOW_FLOOD_MS / 1000} s of output; ${describeSamples(samples)}`);
    // Unslowed, a sample finds hvc's buffer waiting about 1 time in 100; held back, most of the time.
    const held = samples.consoleBacklog.filter((n) => n > 0).length;
    expect(held, "samples that found the guest's output held in the ring").toBeGreaterThanOrEqual(Math.ceil(samples.consoleBacklog.length / 4));
    expectSamplesBounded(samples);
    await expectTabAnswers("slow page", "attack-slow-page.png");
  }, T);

  it("syn-flood: 3,000 SYNs at the in-worker host network from a made-up address", async () => {
    const results = await shellAnswer(
      page,
      "timeout 120 /tmp/attack syn-flood --count 3000 --port 80 > /tmp/syn.out 2>&1; echo syn-exit-$? $(grep -E '^(sent|synacks|result)=' /tmp/syn.out | tr '\\n' ' ')",
      /^syn-exit-(.*)$/m,
      180_000,
    );
    figures.push(`syn-flood: ${results.trim()}`);
    expect(results).toMatch(/^0 sent=3000 synacks=\d+ result=done\s*$/);
    await expectTabAnswers("syn-flood", "attack-syn-flood.png");
    await expectDevicesWork(page, 3);
  }, T);

  it("no-read: 150 clients of a 1 GiB download and 150 of chargen that never read, held 8 s", async () => {
    await typeLine(page, "clear; (timeout 150 /tmp/attack no-read 300 8 > /tmp/noread.out 2>&1 &)");
    const held = await shellAnswer(
      page,
      "for i in $(seq 120); do grep -q holding_seconds /tmp/noread.out && break; sleep 1; done; " +
        "echo held $(grep -E '^(established_http|requests_sent|established_chargen|error)=' /tmp/noread.out | tr '\\n' ' ')",
      /^held (.*)$/m,
      180_000,
    );
    expect(held.trim()).toBe("established_http=150 requests_sent=150 established_chargen=150");
    // While the 300 connections are held, the page still answers.
    const during = await markerAnswer(page, ++marker);
    figures.push(`no-read, while 300 connections are held: echo marker-${marker} answered ${during.fromEnter.toFixed(0)} ms after Enter`);
    expect(during.fromEnter).toBeLessThan(ANSWER_TIMEOUT);
    const done = await shellAnswer(
      page,
      "for i in $(seq 120); do grep -q '^result=' /tmp/noread.out && break; sleep 1; done; echo noread-$(grep -E '^(result|error)=' /tmp/noread.out)",
      /^noread-(.*)$/m,
      180_000,
    );
    expect(done).toBe("result=done");
    await expectTabAnswers("no-read", "attack-no-read.png");
    await expectDevicesWork(page, 4);
    expect(await withinBound(page.evaluate(() => document.body.dataset.state), "page.evaluate at the end")).toBe("ready");
  }, T);
});
