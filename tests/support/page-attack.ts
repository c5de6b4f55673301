// The page's side of the attack test in Chromium (tests/browser/attack.test.ts): a watch
// on the tab (page errors, a renderer crash, the machine's worker closing), how long the
// terminal and the page take to answer, commands typed into the page's shell and their
// answers read back from the screen, and the checks that the machine's devices still work.
import { expect } from "vitest";
import type { Page } from "playwright-core";
import type { MachineDeviceView } from "../../src/worker/api.js";
import type { DeviceModelView } from "../../src/virtio/device-model.js";
import { typeLine, waitForScreen } from "./terminal-screen.js";

/** The generous bound the tests assert (the issue hopes for a second; this machine is shared). */
export const ANSWER_TIMEOUT = 10_000;
const ROWS = "#terminal .xterm-rows";

/** Everything that would say the tab or its worker died, collected from the moment it is attached. */
export class TabWatch {
  readonly errors: string[] = [];
  readonly crashes: string[] = [];
  /** Every worker the page started, and whether it has closed. */
  private workers: { url: string; closed: boolean }[] = [];

  constructor(page: Page) {
    page.on("pageerror", (e) => this.errors.push(e.message));
    page.on("crash", () => this.crashes.push(new Date().toISOString()));
    page.on("worker", (worker) => {
      const entry = { url: worker.url(), closed: false };
      this.workers.push(entry);
      worker.on("close", () => (entry.closed = true));
    });
  }

  /** Forgets the workers that already closed (a reload closes the earlier load's, as it should). */
  forgetClosedWorkers(): void {
    this.workers = this.workers.filter((w) => !w.closed);
  }

  /** No page error, no crash, no worker closed, the machine's worker there, the page "ready", no error panel. */
  async expectHealthy(page: Page, phase: string): Promise<void> {
    expect(this.errors, `${phase}: page errors`).toEqual([]);
    expect(this.crashes, `${phase}: renderer crashes`).toEqual([]);
    expect(this.workers.filter((w) => w.closed).map((w) => w.url), `${phase}: workers that closed`).toEqual([]);
    expect(this.workers.some((w) => /machine-worker/.test(w.url)), `${phase}: the machine's worker is running`).toBe(true);
    expect(await withinBound(page.evaluate(() => document.body.dataset.state), `${phase}: page.evaluate`)).toBe("ready");
    expect(await page.locator("#error-panel").isHidden(), `${phase}: the error panel is hidden`).toBe(true);
  }
}

/** `promise`, or an error naming `what` once ANSWER_TIMEOUT has passed. */
export async function withinBound<T>(promise: Promise<T>, what: string, ms = ANSWER_TIMEOUT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds for one page.evaluate round trip (the page's main thread is free to answer). */
export async function evaluateMs(page: Page, what: string): Promise<number> {
  const start = performance.now();
  await withinBound(page.evaluate(() => document.body.dataset.state), what);
  return performance.now() - start;
}

export interface AnswerTime {
  /** From the first keystroke to the answer on the screen. */
  fromTyping: number;
  /** From Enter to the answer on the screen. */
  fromEnter: number;
}

/** Waits (at most `timeout`) until the screen shows a line matching `pattern`, polling every 20 ms in the page. */
async function screenShows(page: Page, pattern: RegExp, timeout: number): Promise<void> {
  await page.waitForFunction(
    ([rows, source, flags]) => new RegExp(source, flags).test(document.querySelector<HTMLElement>(rows)?.innerText ?? ""),
    [ROWS, pattern.source, pattern.flags] as const,
    { polling: 20, timeout },
  );
}

/** Types `echo marker-N`, waits (at most ANSWER_TIMEOUT) for `marker-N` on a line of its own; the times it took. */
export async function markerAnswer(page: Page, n: number): Promise<AnswerTime> {
  const start = performance.now();
  await page.keyboard.type(`echo marker-${n}`);
  const enter = performance.now();
  await page.keyboard.press("Enter");
  try {
    await screenShows(page, new RegExp(`^marker-${n}$`, "m"), ANSWER_TIMEOUT);
  } catch {
    const text = await page.locator(ROWS).innerText();
    throw new Error(`the terminal did not answer echo marker-${n} within ${ANSWER_TIMEOUT} ms; it shows:\n${text}`);
  }
  const end = performance.now();
  return { fromTyping: end - start, fromEnter: end - enter };
}

/** Clears the screen, types `command` and returns the first line matching `answer` (a regex with one group or none). */
export async function shellAnswer(page: Page, command: string, answer: RegExp, timeout: number): Promise<string> {
  await typeLine(page, `clear; ${command}`);
  const text = await waitForScreen(page, answer, timeout);
  const match = answer.exec(text);
  return match?.[1] ?? match?.[0] ?? "";
}

export interface FloodSamples {
  /** page.evaluate round trips (the page's main thread), ms. */
  evaluate: number[];
  /** ringsideDevices() round trips (the page, the worker API and the machine between two slices), ms. */
  worker: number[];
  /** Transmit chains the guest had made available on the console that the device had not taken yet. */
  consoleBacklog: number[];
}

/** Samples the page and the worker every `everyMs` until `done` settles: how they answer while the guest floods. */
export async function sampleWhile<T>(page: Page, done: Promise<T>, everyMs: number): Promise<{ result: T; samples: FloodSamples }> {
  let finished = false;
  const settled = done.finally(() => (finished = true));
  const samples: FloodSamples = { evaluate: [], worker: [], consoleBacklog: [] };
  const sampling = (async () => {
    while (!finished) {
      samples.evaluate.push(await evaluateMs(page, "page.evaluate during the flood"));
      const start = performance.now();
      const ring = (await devicesByName(page)).get("virtio-console")?.queues[1]?.ring;
      samples.worker.push(performance.now() - start);
      if (ring?.layout === "split") samples.consoleBacklog.push((ring.availIdx - ring.lastAvailIdx) & 0xffff);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const result = await settled;
  await sampling;
  return { result, samples };
}

/** The samples in words, for the log. */
export function describeSamples(samples: FloodSamples): string {
  const backlog = samples.consoleBacklog;
  return `page.evaluate ${spread(samples.evaluate)}; worker API ${spread(samples.worker)}; ` +
    `console transmit chains waiting in the ring: max ${backlog.length ? Math.max(...backlog) : 0}, ` +
    `in ${backlog.filter((n) => n > 0).length} of ${backlog.length} samples`;
}

/** Every sampled answer came within the bound. */
export function expectSamplesBounded(samples: FloodSamples): void {
  expect(samples.evaluate.length, "samples taken during the flood").toBeGreaterThan(0);
  for (const ms of [...samples.evaluate, ...samples.worker]) expect(ms).toBeLessThan(ANSWER_TIMEOUT);
}

/**
 * Slows the page's main thread `rate` times (Chromium's CPU throttling, as devtools does),
 * so xterm falls behind the guest; the returned function undoes it.
 */
export async function throttlePage(page: Page, rate: number): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate });
  return async () => {
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    await cdp.detach();
  };
}

/** "median / max" of a list of milliseconds, for the log. */
export function spread(ms: number[]): string {
  if (ms.length === 0) return "no samples";
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms over ${ms.length}`;
}

/** The machine's virtio devices by name, through the worker API (as the page's own code reads them). */
export async function devicesByName(page: Page): Promise<Map<string, DeviceModelView>> {
  const devices = await withinBound(
    page.evaluate(() => (window as unknown as { ringsideDevices(): Promise<MachineDeviceView[]> }).ringsideDevices()),
    "ringsideDevices()",
  );
  return new Map(devices.map((d) => [d.virtio.name, d.virtio]));
}

/**
 * The machine's devices still do their jobs: a new TCP connection downloads a blob whose
 * sha256 matches the host's, /dev/hwrng gives 4 KiB, and every virtio device is active.
 */
export async function expectDevicesWork(page: Page, seed: number): Promise<void> {
  const url = `http://10.0.2.2/blob?bytes=1048576&seed=${seed}`;
  // Compared in the guest: two 64-digit hashes on one line would wrap in the terminal.
  const download = await shellAnswer(
    page,
    `got=$(timeout 60 wget -q -O - '${url}' | sha256sum | cut -c1-64); want=$(timeout 60 wget -q -O - '${url.replace("/blob?", "/blob-sha256?")}'); ` +
      `[ \${#got} = 64 ] && [ "$got" = "$want" ] && echo sha-match-\${got:0:12} || echo sha-differs; ` +
      "echo rng-$(timeout 20 dd if=/dev/hwrng bs=512 count=8 2>/dev/null | wc -c)",
    /^(sha-(?:match-[0-9a-f]{12}|differs)\nrng-\d+)$/m,
    180_000,
  );
  expect(download, "a download through the host network (sha256) and a /dev/hwrng read").toMatch(/^sha-match-[0-9a-f]{12}\nrng-4096$/);
  const devices = await devicesByName(page);
  expect([...devices.keys()].sort()).toEqual(["virtio-blk", "virtio-console", "virtio-net", "virtio-rng"]);
  for (const [name, device] of devices) expect(device.active, `${name} is active`).toBe(true);
}
