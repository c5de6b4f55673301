// Timers for the wisp session (the handshake's deadline, send retries, stall checks),
// injectable so tests run them by hand.

/** Runs `callback` after `delayMs`; returns a function that cancels it. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

export const defaultSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  return () => clearTimeout(timer);
};
