// A 9P2000.L message (the shared folder's queue: the T-message in the device-readable
// buffers, the R-message in the device-writable ones): size, type by name, tag, and the
// main fields of the common messages, read by a small layout table rather than the
// server's codec (which is the server's, below the inspector's layer, and refuses what it
// does not serve; here every message is shown as far as its bytes go).
import { MSG } from "../../util/ninep-message-types.js";
import type { ByteReader } from "./bytes.js";
import { decodeLayer, hex, type FieldList, type LayerDraft } from "./layer.js";

const HEADER_BYTES = 7;
const NOTAG = 0xffff;
/** Characters of one string shown; names are short, but a guest's length field may say 65535. */
const STRING_CHARS = 64;

const T_NAMES = new Map<number, string>(Object.entries(MSG).map(([name, type]) => [type, name]));

/** Tname for T-messages, Rname for their replies (type + 1), Rlerror. */
export function messageName(type: number): string | undefined {
  const t = T_NAMES.get(type);
  if (t !== undefined) return t;
  const request = T_NAMES.get(type - 1);
  return request?.startsWith("T") ? `R${request.slice(1)}` : undefined;
}

/**
 * Fields after the header, in wire order: name:1/2/4/8 a little-endian number, name:o a
 * 4-byte mode in octal, name:s a string (u16 length, UTF-8), name:q a qid (13 bytes),
 * name:s* as many strings as the field before says.
 */
const LAYOUTS: Record<string, string> = {
  Tversion: "msize:4 version:s", Rversion: "msize:4 version:s",
  Tattach: "fid:4 afid:4 uname:s aname:s n_uname:4", Rattach: "qid:q",
  Twalk: "fid:4 newfid:4 nwname:2 wname:s*", Rwalk: "nwqid:2",
  Tlopen: "fid:4 flags:4", Rlopen: "qid:q iounit:4",
  Tlcreate: "fid:4 name:s flags:4 mode:o gid:4", Rlcreate: "qid:q iounit:4",
  Tread: "fid:4 offset:8 count:4", Rread: "count:4",
  Twrite: "fid:4 offset:8 count:4", Rwrite: "count:4",
  Treaddir: "fid:4 offset:8 count:4", Rreaddir: "count:4",
  Tclunk: "fid:4", Tremove: "fid:4", Tstatfs: "fid:4", Treadlink: "fid:4", Tfsync: "fid:4",
  Tgetattr: "fid:4 request_mask:8", Rgetattr: "valid:8 qid:q mode:o uid:4 gid:4 nlink:8 rdev:8 size:8",
  Tsetattr: "fid:4 valid:4 mode:o uid:4 gid:4 size:8",
  Tmkdir: "dfid:4 name:s mode:o gid:4", Rmkdir: "qid:q",
  Tsymlink: "fid:4 name:s symtgt:s gid:4", Tmknod: "dfid:4 name:s mode:o major:4 minor:4 gid:4",
  Trename: "fid:4 dfid:4 name:s", Trenameat: "olddirfid:4 oldname:s newdirfid:4 newname:s",
  Tunlinkat: "dirfd:4 name:s flags:4", Tlink: "dfid:4 fid:4 name:s",
  Txattrwalk: "fid:4 newfid:4 name:s", Tflush: "oldtag:2",
  Rlerror: "ecode:4",
};

/** Decodes the message at the start of `r`'s bytes. */
export function decodeNinepMessage(r: ByteReader): LayerDraft {
  let name = "";
  const layer = decodeLayer("9P message", r, 0, (f) => {
    const size = r.le32(0, "size");
    const type = r.u8(4, "type");
    const tag = r.le16(5, "tag");
    name = messageName(type) ?? `type ${type}`;
    f.add("size", size, "bytes of the whole message");
    f.add("type", `${type} ${name}`);
    f.add("tag", tag === NOTAG ? `${hex(tag)} (NOTAG)` : tag, "pairs a reply with its request");
    if (size < HEADER_BYTES) throw new Error(`size ${size} is shorter than the 7-byte header`);
    if (size > r.total) throw new Error(`size ${size}, but the buffers hold ${r.total} bytes`);
    const layout = LAYOUTS[name];
    if (layout) readFields(r, layout, size, f);
    return size;
  });
  return name ? { ...layer, name: `9P ${name}` } : layer;
}

/** The fields of `layout` from byte 7 to the message's `size`; one that runs past it is malformed. */
function readFields(r: ByteReader, layout: string, size: number, f: FieldList): void {
  let at = HEADER_BYTES;
  let last = 0;
  const within = (n: number, field: string) => {
    if (at + n > size) throw new Error(`${field} runs past the ${size}-byte message`);
  };
  for (const spec of layout.split(" ")) {
    const [field = "", kind = ""] = spec.split(":");
    if (kind === "s" || kind === "s*") {
      const count = kind === "s" ? 1 : Math.min(last, 16);
      for (let i = 0; i < count; i++) {
        within(2, field);
        const len = r.le16(at, `${field} length`);
        within(2 + len, field);
        f.add(kind === "s" ? field : `${field}[${i}]`, stringText(r, at + 2, len));
        r.need(at + 2, len, field);
        at += 2 + len;
      }
    } else if (kind === "q") {
      within(13, field);
      f.add(field, `type ${hex(r.u8(at, "qid type"))} version ${r.le32(at + 1, "qid version")} path ${r.le64(at + 5, "qid path")}`);
      at += 13;
    } else {
      const n = kind === "o" ? 4 : Number(kind);
      within(n, field);
      const value = n === 8 ? r.le64(at, field) : BigInt(n === 4 ? r.le32(at, field) : n === 2 ? r.le16(at, field) : r.u8(at, field));
      last = Number(value);
      f.add(field, kind === "o" ? `0${value.toString(8)}` : value === 0xffffffffn ? `${value} (none)` : value.toString());
      at += n;
    }
  }
}

/** A string's first STRING_CHARS characters, quoted, from what was copied of it. */
function stringText(r: ByteReader, at: number, len: number): string {
  const copied = r.bytes.subarray(Math.min(at, r.length), Math.min(at + len, r.length, at + STRING_CHARS * 4));
  const text = new TextDecoder().decode(copied);
  const cut = text.length > STRING_CHARS || copied.length < len;
  return `${JSON.stringify(text.slice(0, STRING_CHARS))}${cut ? "…" : ""}`;
}
