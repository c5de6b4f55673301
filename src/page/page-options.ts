// Reads the page's URL query. Unknown values are errors, reported rather than ignored.
import type { SchedulerChoice } from "../worker/api.js";
import type { ThreadChoice } from "./connect.js";

/** "opfs": the persistent disk (the default); "none": no disk, for benchmarks. */
export type DiskChoice = "opfs" | "none";

export interface PageOptions {
  thread: ThreadChoice;
  scheduler: SchedulerChoice;
  disk: DiskChoice;
}

/** The scheduler the worker uses unless the URL says otherwise (see README, Benchmarks). */
export const DEFAULT_SCHEDULER: SchedulerChoice = "post-task";

export function readPageOptions(search: string): PageOptions {
  const params = new URLSearchParams(search);
  const thread = params.get("thread") ?? "worker";
  if (thread !== "worker" && thread !== "main") {
    throw new Error(`?thread must be "worker" or "main", not "${thread}"`);
  }
  const scheduler = params.get("scheduler") ?? DEFAULT_SCHEDULER;
  if (scheduler !== "v86-default" && scheduler !== "post-task") {
    throw new Error(`?scheduler must be "v86-default" or "post-task", not "${scheduler}"`);
  }
  // OPFS files open synchronously only in a worker, so the main thread has no disk.
  const disk = params.get("disk") ?? (thread === "main" ? "none" : "opfs");
  if (disk !== "opfs" && disk !== "none") {
    throw new Error(`?disk must be "opfs" or "none", not "${disk}"`);
  }
  if (disk === "opfs" && thread === "main") {
    throw new Error("?disk=opfs needs ?thread=worker: OPFS files open synchronously only in a worker");
  }
  return { thread, scheduler, disk };
}
