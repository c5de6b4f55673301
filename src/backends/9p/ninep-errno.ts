// The Linux errno values Rlerror carries (9P2000.L sends the guest's own numbers; these are
// the generic ones i386 uses, asm-generic/errno-base.h and errno.h), and the one error a
// filesystem throws to refuse a request with one of them.

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENXIO = 6;
export const EBADF = 9;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EFBIG = 27;
export const ENOSPC = 28;
export const EROFS = 30;
export const EMLINK = 31;
export const ENAMETOOLONG = 36;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const EPROTO = 71;
export const EILSEQ = 84;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
/** A fid restored from a saved state whose file is gone. */
export const ESTALE = 116;

/**
 * A filesystem refuses a request: the server answers Rlerror with `errno`. Anything else a
 * filesystem throws is a fault of the host (or a bug), answered with EIO and logged.
 *
 * It is an Error to every reader (instanceof Error, name, message, toString) but never records
 * a stack: refusals are ordinary answers (each create first meets an ENOENT lookup), and
 * capturing a stack made one cost about four times as much. So its constructor never runs
 * Error's, which is what captures the stack; only the prototype chain goes through Error.
 */
export interface FsError extends Error {}
export class FsError {
  readonly name = "FsError";
  readonly message: string;
  constructor(readonly errno: number, message?: string) {
    this.message = message ?? `errno ${errno}`;
  }
}
Object.setPrototypeOf(FsError.prototype, Error.prototype);
