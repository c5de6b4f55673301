// A NinepFs that answers every call later, as the browser's storage does: each method waits
// for `gate()` and then asks the filesystem it wraps. Tests hold the gate to have requests
// in flight while others run.
import type { MaybePromise, NinepFs } from "../../src/backends/9p/ninep-fs.js";

export function deferredFs(fs: NinepFs, gate: () => Promise<void> = () => Promise.resolve()): NinepFs {
  const later = <A extends unknown[], R>(f: (...args: A) => MaybePromise<R>) =>
    async (...args: A): Promise<R> => {
      await gate();
      return f.apply(fs, args);
    };
  return {
    root: fs.root,
    lookup: later(fs.lookup), parent: later(fs.parent), getattr: later(fs.getattr), setattr: later(fs.setattr),
    open: later(fs.open), release: later(fs.release), read: later(fs.read), write: later(fs.write),
    create: later(fs.create), mkdir: later(fs.mkdir), symlink: later(fs.symlink), mknod: later(fs.mknod),
    link: later(fs.link), rename: later(fs.rename), unlink: later(fs.unlink), readdir: later(fs.readdir),
    readlink: later(fs.readlink), statfs: later(fs.statfs), fsync: later(fs.fsync),
  };
}

/** A gate that lets calls through only when `open()` is called, one batch at a time. */
export class Gate {
  private waiting: (() => void)[] = [];

  readonly pass = (): Promise<void> => new Promise((resolve) => this.waiting.push(resolve));

  get held(): number {
    return this.waiting.length;
  }

  /** Lets every call waiting now through. */
  open(): void {
    const now = this.waiting;
    this.waiting = [];
    for (const resolve of now) resolve();
  }
}
