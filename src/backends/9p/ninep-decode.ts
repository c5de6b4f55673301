// Reads one T-message into a Request, or says why not (an errno for the Rlerror, a reason
// for the log). Never throws. The checks, in order, so that every malformed message gets the
// same answer:
//   1. fewer than 7 bytes: EPROTO, answered with tag NOTAG (there is no tag to echo);
//   2. the size field is not the message's length, or the message is longer than the
//      negotiated msize: EPROTO;
//   3. a type this server does not serve (9P2000's Topen/Tcreate/Tstat/Twstat, R-messages,
//      unknown numbers): EOPNOTSUPP;
//   4. the fields, in the order the spec lists them: one that runs past the end, or bytes
//      left after the last, is EPROTO (Twalk's nwname over 16 is EINVAL, before its names
//      are read); Tfsync's datasync[4] may be absent (older clients send fid[4] only);
//   5. then the strings, in field order: names as ninep-wire.ts `name` says (EINVAL,
//      ENAMETOOLONG, EILSEQ), symlink targets as `target`, uname/aname as UTF-8 (EILSEQ).
// Txattrwalk, Txattrcreate and Tlock are checked for shape only: their answer needs no field.
import { EINVAL, EOPNOTSUPP, EPROTO } from "./ninep-errno.js";
import { HEADER_BYTES, MAXWELEM, MSG, NOTAG } from "./ninep-spec.js";
import type { Request } from "./ninep-requests.js";
import { Malformed, name, target, text, WireReader } from "./ninep-wire.js";

export type Decoded =
  | { ok: true; type: number; tag: number; request: Request }
  | { ok: false; type: number; tag: number; errno: number; reason: string };

type Decoder = (r: WireReader) => Request;

export function decodeRequest(message: Uint8Array, maxBytes: number): Decoded {
  if (message.length < HEADER_BYTES) {
    return { ok: false, type: -1, tag: NOTAG, errno: EPROTO, reason: `a message of ${message.length} bytes` };
  }
  const head = new DataView(message.buffer, message.byteOffset, HEADER_BYTES);
  const size = head.getUint32(0, true);
  const type = head.getUint8(4);
  const tag = head.getUint16(5, true);
  const refuse = (errno: number, reason: string): Decoded => ({ ok: false, type, tag, errno, reason });
  if (size !== message.length) return refuse(EPROTO, `size field ${size} for a message of ${message.length} bytes`);
  if (size > maxBytes) return refuse(EPROTO, `a message of ${size} bytes, over msize ${maxBytes}`);
  const decode = DECODERS.get(type);
  if (decode === undefined) return refuse(EOPNOTSUPP, `message type ${type} is not served`);
  try {
    return { ok: true, type, tag, request: decode(new WireReader(message, HEADER_BYTES)) };
  } catch (err) {
    if (err instanceof Malformed) return refuse(err.errno, err.reason);
    // WireReader and the checks throw only Malformed; anything else is a bug of ours.
    return refuse(EPROTO, `decoder failed: ${String(err)}`);
  }
}

const DECODERS = new Map<number, Decoder>([
  [MSG.Tversion, (r) => {
    const msize = r.u32("msize");
    const version = r.str("version");
    r.end("Tversion");
    return { op: "version", msize, version };
  }],
  [MSG.Tauth, (r) => {
    r.u32("afid"); r.str("uname"); r.str("aname"); r.u32("n_uname");
    r.end("Tauth");
    return { op: "auth" };
  }],
  [MSG.Tattach, (r) => {
    const fid = r.u32("fid"), afid = r.u32("afid"), uname = r.str("uname"), aname = r.str("aname"), nUname = r.u32("n_uname");
    r.end("Tattach");
    return { op: "attach", fid, afid, uname: text(uname, "uname"), aname: text(aname, "aname"), nUname };
  }],
  [MSG.Tflush, (r) => {
    const oldtag = r.u16("oldtag");
    r.end("Tflush");
    return { op: "flush", oldtag };
  }],
  [MSG.Twalk, (r) => {
    const fid = r.u32("fid"), newfid = r.u32("newfid"), nwname = r.u16("nwname");
    if (nwname > MAXWELEM) throw new Malformed(EINVAL, `Twalk of ${nwname} names, over ${MAXWELEM}`);
    const raw: Uint8Array[] = [];
    for (let i = 0; i < nwname; i++) raw.push(r.str(`wname[${i}]`));
    r.end("Twalk");
    return { op: "walk", fid, newfid, names: raw.map((n, i) => name(n, `wname[${i}]`, true)) };
  }],
  [MSG.Tlopen, (r) => {
    const fid = r.u32("fid"), flags = r.u32("flags");
    r.end("Tlopen");
    return { op: "lopen", fid, flags };
  }],
  [MSG.Tlcreate, (r) => {
    const fid = r.u32("fid"), n = r.str("name"), flags = r.u32("flags"), mode = r.u32("mode"), gid = r.u32("gid");
    r.end("Tlcreate");
    return { op: "lcreate", fid, name: name(n, "name"), flags, mode, gid };
  }],
  [MSG.Tsymlink, (r) => {
    const fid = r.u32("fid"), n = r.str("name"), t = r.str("symtgt"), gid = r.u32("gid");
    r.end("Tsymlink");
    return { op: "symlink", fid, name: name(n, "name"), target: target(t, "symtgt"), gid };
  }],
  [MSG.Tmknod, (r) => {
    const dfid = r.u32("dfid"), n = r.str("name"), mode = r.u32("mode"), major = r.u32("major"), minor = r.u32("minor"), gid = r.u32("gid");
    r.end("Tmknod");
    return { op: "mknod", dfid, name: name(n, "name"), mode, major, minor, gid };
  }],
  [MSG.Trename, (r) => {
    const fid = r.u32("fid"), dfid = r.u32("dfid"), n = r.str("name");
    r.end("Trename");
    return { op: "rename", fid, dfid, name: name(n, "name") };
  }],
  [MSG.Treadlink, (r) => ({ op: "readlink", fid: fidOnly(r, "Treadlink") })],
  [MSG.Tgetattr, (r) => {
    const fid = r.u32("fid");
    r.u64("request_mask");
    r.end("Tgetattr");
    return { op: "getattr", fid };
  }],
  [MSG.Tsetattr, (r) => {
    const fid = r.u32("fid"), valid = r.u32("valid"), mode = r.u32("mode"), uid = r.u32("uid"), gid = r.u32("gid"), size = r.u64("size");
    const atimeSec = r.i64("atime_sec"), atimeNsec = r.u64("atime_nsec"), mtimeSec = r.i64("mtime_sec"), mtimeNsec = r.u64("mtime_nsec");
    r.end("Tsetattr");
    return { op: "setattr", fid, attr: { valid, mode, uid, gid, size, atimeSec, atimeNsec, mtimeSec, mtimeNsec } };
  }],
  [MSG.Txattrwalk, (r) => {
    r.u32("fid"); r.u32("newfid"); r.str("name");
    r.end("Txattrwalk");
    return { op: "xattrwalk" };
  }],
  [MSG.Txattrcreate, (r) => {
    r.u32("fid"); r.str("name"); r.u64("attr_size"); r.u32("flags");
    r.end("Txattrcreate");
    return { op: "xattrcreate" };
  }],
  [MSG.Treaddir, (r) => {
    const fid = r.u32("fid"), offset = r.u64("offset"), count = r.u32("count");
    r.end("Treaddir");
    return { op: "readdir", fid, offset, count };
  }],
  [MSG.Tfsync, (r) => {
    const fid = r.u32("fid");
    const datasync = r.atEnd() ? 0 : r.u32("datasync");
    r.end("Tfsync");
    return { op: "fsync", fid, datasync: datasync !== 0 };
  }],
  [MSG.Tlock, (r) => {
    const fid = r.u32("fid");
    r.u8("type"); r.u32("flags"); r.u64("start"); r.u64("length"); r.u32("proc_id"); r.str("client_id");
    r.end("Tlock");
    return { op: "lock", fid };
  }],
  [MSG.Tgetlock, (r) => {
    const fid = r.u32("fid"), type = r.u8("type"), start = r.u64("start"), length = r.u64("length"), procId = r.u32("proc_id");
    const clientId = r.str("client_id");
    r.end("Tgetlock");
    return { op: "getlock", fid, type, start, length, procId, clientId };
  }],
  [MSG.Tlink, (r) => {
    const dfid = r.u32("dfid"), fid = r.u32("fid"), n = r.str("name");
    r.end("Tlink");
    return { op: "link", dfid, fid, name: name(n, "name") };
  }],
  [MSG.Tmkdir, (r) => {
    const dfid = r.u32("dfid"), n = r.str("name"), mode = r.u32("mode"), gid = r.u32("gid");
    r.end("Tmkdir");
    return { op: "mkdir", dfid, name: name(n, "name"), mode, gid };
  }],
  [MSG.Trenameat, (r) => {
    const oldDirFid = r.u32("olddirfid"), o = r.str("oldname"), newDirFid = r.u32("newdirfid"), n = r.str("newname");
    r.end("Trenameat");
    return { op: "renameat", oldDirFid, oldName: name(o, "oldname"), newDirFid, newName: name(n, "newname") };
  }],
  [MSG.Tunlinkat, (r) => {
    const dirFid = r.u32("dirfd"), n = r.str("name"), flags = r.u32("flags");
    r.end("Tunlinkat");
    return { op: "unlinkat", dirFid, name: name(n, "name"), flags };
  }],
  [MSG.Tread, (r) => {
    const fid = r.u32("fid"), offset = r.u64("offset"), count = r.u32("count");
    r.end("Tread");
    return { op: "read", fid, offset, count };
  }],
  [MSG.Twrite, (r) => {
    const fid = r.u32("fid"), offset = r.u64("offset"), count = r.u32("count"), data = r.data(count, "data");
    r.end("Twrite");
    return { op: "write", fid, offset, data };
  }],
  [MSG.Tclunk, (r) => ({ op: "clunk", fid: fidOnly(r, "Tclunk") })],
  [MSG.Tremove, (r) => ({ op: "remove", fid: fidOnly(r, "Tremove") })],
  [MSG.Tstatfs, (r) => ({ op: "statfs", fid: fidOnly(r, "Tstatfs") })],
]);

function fidOnly(r: WireReader, what: string): number {
  const fid = r.u32("fid");
  r.end(what);
  return fid;
}
