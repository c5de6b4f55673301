// What the guest hears when the host refuses: Node reports a failed system call with the C
// name of its error (err.code "ENOENT", the same name on Linux and macOS, whose numbers
// differ), and 9P2000.L answers with the guest's own Linux number. So the mapping goes by
// name. A name missing from the table is answered EIO: the guest learns that something
// failed, never a number that means something else on its side.
import {
  EBADF, EBUSY, EEXIST, EFBIG, EINVAL, EIO, EISDIR, ELOOP, EMLINK, ENAMETOOLONG, ENFILE, ENOENT,
  ENOSPC, ENOTDIR, ENOTEMPTY, ENXIO, EOPNOTSUPP, EPERM, EROFS, FsError,
} from "../backends/9p/ninep-errno.js";

// Linux numbers (asm-generic/errno-base.h, errno.h) that ninep-errno.ts has no name for.
export const EINTR = 4;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EXDEV = 18;
export const ENODEV = 19;
export const EMFILE = 24;
export const ETXTBSY = 26;
export const ESPIPE = 29;
export const ERANGE = 34;
export const ENOSYS = 38;
export const EOVERFLOW = 75;
export const ESTALE = 116;
export const EDQUOT = 122;

const LINUX_ERRNO: ReadonlyMap<string, number> = new Map([
  ["EPERM", EPERM], ["ENOENT", ENOENT], ["EINTR", EINTR], ["EIO", EIO], ["ENXIO", ENXIO],
  ["EBADF", EBADF], ["EAGAIN", EAGAIN], ["EWOULDBLOCK", EAGAIN], ["ENOMEM", ENOMEM],
  ["EACCES", EACCES], ["EBUSY", EBUSY], ["EEXIST", EEXIST], ["EXDEV", EXDEV], ["ENODEV", ENODEV],
  ["ENOTDIR", ENOTDIR], ["EISDIR", EISDIR], ["EINVAL", EINVAL], ["ENFILE", ENFILE], ["EMFILE", EMFILE],
  ["ETXTBSY", ETXTBSY], ["EFBIG", EFBIG], ["ENOSPC", ENOSPC], ["ESPIPE", ESPIPE], ["EROFS", EROFS],
  ["EMLINK", EMLINK], ["ERANGE", ERANGE], ["ENAMETOOLONG", ENAMETOOLONG], ["ENOSYS", ENOSYS],
  ["ENOTEMPTY", ENOTEMPTY], ["ELOOP", ELOOP], ["EOVERFLOW", EOVERFLOW], ["ENOTSUP", EOPNOTSUPP],
  ["EOPNOTSUPP", EOPNOTSUPP], ["ESTALE", ESTALE], ["EDQUOT", EDQUOT],
]);

/** The Linux errno for a Node error code; EIO for a code this table does not know. */
export function linuxErrno(code: string): number {
  return LINUX_ERRNO.get(code) ?? EIO;
}

/** The `code` of a Node system-call error, if `caught` is one. */
export function nodeErrorCode(caught: unknown): string | undefined {
  if (!(caught instanceof Error)) return undefined;
  const code = (caught as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Runs one filesystem request: a Node error with a code becomes FsError(its Linux errno),
 * an FsError passes through, and anything else (a bug) goes on as it is, so the server
 * answers EIO and logs it.
 */
export function hostCall<T>(request: () => T): T {
  try {
    return request();
  } catch (caught) {
    if (caught instanceof FsError) throw caught;
    const code = nodeErrorCode(caught);
    if (code === undefined) throw caught;
    throw new FsError(linuxErrno(code), `host: ${code}`);
  }
}
