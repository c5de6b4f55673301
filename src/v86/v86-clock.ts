// v86's clock, made to run on across a snapshot. Every timer v86 keeps (PIT, RTC, the
// local APIC's timer, in JavaScript and in its WebAssembly) stores absolute readings of
// one function, `microtick` (a static of v86's core class, also handed to its
// WebAssembly as an import). A saved state carries those readings, but a new process's
// microtick starts from somewhere else: restored into it, the timers would wait for
// their clock to catch up (the guest stalled for as long as the first process had run).
// So ringside routes microtick through an offset that a restore may move forward, never
// back (machines already running in the same process see at most a jump ahead, as
// after a host suspend). It is per process, like microtick itself.
import type { V86Core } from "./internals.js";

type Clock = (() => number) & { [OURS]?: true };
const OURS = Symbol("ringside's v86 clock");
let offsetMs = 0;

function withOffset(original: () => number): Clock {
  const clock: Clock = () => original() + offsetMs;
  clock[OURS] = true;
  return clock;
}

/** In wasm_fn: v86's WebAssembly reads the clock through ours (`env` is its import object). */
export function routeWasmClock(env: Record<string, unknown>): void {
  const original = env["microtick"];
  if (typeof original !== "function" || (original as Clock)[OURS]) return;
  env["microtick"] = withOffset(original as () => number);
}

/** After emulator-loaded: v86's JavaScript devices read the clock through ours too. */
export function routeCoreClock(core: V86Core): void {
  const statics = core.constructor as unknown as { microtick?: Clock };
  const original = statics.microtick;
  if (typeof original !== "function") throw new Error("v86 has no microtick clock where ringside expects it (v86 version?)");
  if (!original[OURS]) statics.microtick = withOffset(original);
}

/** v86's clock now, in ms (what its timers compare against). */
export function v86ClockMs(core: V86Core): number {
  const statics = core.constructor as unknown as { microtick: () => number };
  return statics.microtick();
}

/** Moves v86's clock forward, if needed, so that it reads at least `ms` now. */
export function advanceV86Clock(core: V86Core, ms: number): void {
  const behind = ms - v86ClockMs(core);
  if (behind > 0) offsetMs += behind;
}
