// The T-messages of 9P2000.L the server serves, as the codec (ninep-decode.ts) hands them
// over: every field read, every name checked (ninep-wire.ts `name`), numbers as numbers
// (u64 above 2^53 - 1 as 2^53). Field names follow the spec (diod's protocol.md).

export type Request =
  | { op: "version"; msize: number; version: Uint8Array }
  | { op: "auth" }
  | { op: "attach"; fid: number; afid: number; uname: string; aname: string; nUname: number }
  | { op: "flush"; oldtag: number }
  | { op: "walk"; fid: number; newfid: number; names: string[] }
  | { op: "lopen"; fid: number; flags: number }
  | { op: "lcreate"; fid: number; name: string; flags: number; mode: number; gid: number }
  | { op: "symlink"; fid: number; name: string; target: string; gid: number }
  | { op: "mknod"; dfid: number; name: string; mode: number; major: number; minor: number; gid: number }
  | { op: "rename"; fid: number; dfid: number; name: string }
  | { op: "readlink"; fid: number }
  | { op: "getattr"; fid: number }
  | { op: "setattr"; fid: number; attr: SetattrFields }
  | { op: "xattrwalk" }
  | { op: "xattrcreate" }
  | { op: "readdir"; fid: number; offset: number; count: number }
  | { op: "fsync"; fid: number; datasync: boolean }
  | { op: "lock"; fid: number }
  | { op: "getlock"; fid: number; type: number; start: number; length: number; procId: number; clientId: Uint8Array }
  | { op: "link"; dfid: number; fid: number; name: string }
  | { op: "mkdir"; dfid: number; name: string; mode: number; gid: number }
  | { op: "renameat"; oldDirFid: number; oldName: string; newDirFid: number; newName: string }
  | { op: "unlinkat"; dirFid: number; name: string; flags: number }
  | { op: "read"; fid: number; offset: number; count: number }
  | { op: "write"; fid: number; offset: number; data: Uint8Array }
  | { op: "clunk"; fid: number }
  | { op: "remove"; fid: number }
  | { op: "statfs"; fid: number };

export type Op = Request["op"];
export type RequestOf<O extends Op> = Extract<Request, { op: O }>;

/** Tsetattr's fields after its fid. */
export interface SetattrFields {
  valid: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
}

/**
 * Requests that change the share: a read-only server answers them EROFS before looking at
 * their fids. Tlopen (when it asks to write or truncate) and Tremove (which clunks its fid
 * even when it fails, remove(5)) say EROFS in their own handlers.
 */
export const WRITE_OPS: ReadonlySet<Op> = new Set<Op>([
  "lcreate", "symlink", "mknod", "rename", "setattr", "link", "mkdir", "renameat", "unlinkat", "write",
]);
