// One way to write a request handler for filesystems that answer now or later. A handler is a
// generator that reaches the filesystem through `yield* wait(fs.something(...))`:
//   - a plain value passes straight through, with no yield at all, so a synchronous
//     filesystem runs the whole handler in one call and `runSteps` returns its reply;
//   - a Promise is yielded, `runSteps` switches to an async loop that resumes the handler
//     with the settled value (or throws the rejection into it), and returns a Promise.
// So each handler is written once, and only the asynchronous filesystems pay for promises.
import { isPromise, type MaybePromise } from "./ninep-fs.js";

/** A handler in progress: it yields only Promises and returns its result. */
export type Steps<T> = Generator<Promise<unknown>, T, unknown>;

/** The value of `value`, waiting for it only if it is a Promise. */
export function* wait<T>(value: MaybePromise<T>): Generator<Promise<unknown>, T, unknown> {
  if (!isPromise(value)) return value;
  // runSteps resumes this yield with what `value` settled to, which is a T.
  return (yield value) as T;
}

/** Runs `steps` to the end: synchronously while nothing is a Promise, asynchronously after. */
export function runSteps<T>(steps: Steps<T>): MaybePromise<T> {
  const first = steps.next();
  if (first.done) return first.value;
  return finish(steps, first.value);
}

async function finish<T>(steps: Steps<T>, pending: Promise<unknown>): Promise<T> {
  let next = pending;
  for (;;) {
    let settled: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      settled = { ok: true, value: await next };
    } catch (error) {
      settled = { ok: false, error };
    }
    // A rejection is thrown into the handler, which may catch it; what the handler itself
    // throws leaves through this function's Promise.
    const step = settled.ok ? steps.next(settled.value) : steps.throw(settled.error);
    if (step.done) return step.value;
    next = step.value;
  }
}
