// Each fid's path from the share's root (Fid.path), for saved states: a restored machine runs
// against a filesystem whose inode numbers may differ, so a fid is recorded by the names that
// reach it. Names never hold '/' (the codec refuses them), so a path is its names joined by
// '/', "" being the root. The server keeps paths current as the guest changes names:
//   - a walk or create appends a name, ".." drops the last (the root is its own parent);
//   - a rename moves every fid at or under the old path to the new one (and forgets what the
//     new path named before: that file lost its name);
//   - an unlink forgets the path of every fid at or under it (a later file of the same name
//     is another file).
// A path that became unknown stays unknown: such a fid is restored stale (ESTALE). The
// scans cost one string comparison per fid (<= MAX_FIDS) per rename or unlink.
import type { FidTable } from "./ninep-fids.js";

export type FidPath = string | undefined;

/** The path of `name` in the directory at `dir`. */
export function childPath(dir: FidPath, name: string): FidPath {
  if (dir === undefined) return undefined;
  return dir === "" ? name : `${dir}/${name}`;
}

/** The path after walking `step` (a name or "..") from `path`. */
export function walkPath(path: FidPath, step: string): FidPath {
  if (step !== "..") return childPath(path, step);
  if (path === undefined) return undefined;
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "" : path.slice(0, cut);
}

/** True when `path` is `top` or lies under it. */
function within(path: string, top: string): boolean {
  return path === top || (path.startsWith(top) && path.charCodeAt(top.length) === 0x2f);
}

/** After an unlink (or a rename that replaced `path`): fids at or under it lose their path. */
export function forgetPaths(fids: FidTable, path: FidPath): void {
  if (path === undefined || path === "") return;
  for (const [, fid] of fids.entries()) {
    if (fid.path !== undefined && within(fid.path, path)) fid.path = undefined;
  }
}

/**
 * After a rename of `from` to `to`: what `to` named is gone, and fids at or under `from`
 * are now under `to`. With either path unknown, the fids under `from` cannot be told
 * apart from the rest; those the server can see (under a known `from`) lose their path.
 */
export function movePaths(fids: FidTable, from: FidPath, to: FidPath): void {
  if (from !== undefined && from === to) return;
  forgetPaths(fids, to);
  if (from === undefined || from === "") return;
  for (const [, fid] of fids.entries()) {
    if (fid.path === undefined || !within(fid.path, from)) continue;
    fid.path = to === undefined ? undefined : to + fid.path.slice(from.length);
  }
}
