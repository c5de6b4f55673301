// The name of the error a disk in the browser's storage raises when another tab of the same
// site holds it (only one sync access handle per file): the worker throws it, and the page,
// which sees only an error's name and message across the worker's door, recognises it by
// this name to boot a share link's machine without the disk rather than fail.
export const DISK_IN_USE_ERROR = "DiskInUseError";

export function isDiskInUse(err: unknown): boolean {
  return err instanceof Error && err.name === DISK_IN_USE_ERROR;
}
