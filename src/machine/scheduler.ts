// How the machine schedules its next ~1 ms slice of guest execution.
//
// v86 picks a scheduler by environment: setImmediate in Node (good), and in a browser
// worker a nested Blob worker that it pings for every slice. The benchmark compares
// v86's choice in the worker against the page's main thread; the scheduler used in the
// worker is the one that measured fastest (see the bench report in README.md).

/** Runs `run` after about `delayMs` (0: as soon as other pending work allows). */
export type SliceScheduler = (run: () => void, delayMs: number) => void;

interface PostTaskScheduler {
  postTask(callback: () => void, options: { delay?: number; priority?: string }): Promise<void>;
}

/**
 * scheduler.postTask (Chromium, workers included): a task per slice with no nesting
 * clamp, and unlike a MessageChannel ping-pong it lets the browser's own tasks, such as
 * finishing v86's asynchronous JIT compiles, run in between.
 */
export function postTaskScheduler(): SliceScheduler | undefined {
  const s = (globalThis as { scheduler?: PostTaskScheduler }).scheduler;
  if (!s || typeof s.postTask !== "function") return undefined;
  return (run, delayMs) => {
    void s.postTask(run, { delay: Math.max(0, delayMs), priority: "user-visible" });
  };
}
