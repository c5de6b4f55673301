// Reads the page's URL query. Unknown values are errors, reported rather than ignored.
import type { SchedulerChoice } from "../worker/api.js";
import type { ThreadChoice } from "./connect.js";

export interface PageOptions {
  thread: ThreadChoice;
  scheduler: SchedulerChoice;
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
  return { thread, scheduler };
}
