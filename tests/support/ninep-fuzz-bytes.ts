// Fuzz (b): T-messages built from random fields, then mutated (bytes flipped, cut short,
// extended, size field and type byte changed) or replaced by random bytes, sent to a server
// with a live session over a small memory filesystem. Every reply must be a well-formed
// R-message: size field = length, the request's tag (NOTAG when it had none), type T+1 of a
// served T or Rlerror, within msize, and within the device's buffer unless it is the 11-byte
// Rlerror. The server must never throw, and its fids, opens, bytes and log lines stay bounded.
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { NinepClient, RLERROR, T } from "./ninep-client.js";
import type { Pick } from "./ninep-fuzz-ops.js";
import { message, type Field } from "./ninep-wire-test.js";

const T_TYPES = new Set<number>(Object.values(T));
const NAMES = ["a", "b", "d", "f", "..", ".", "", "a/b", "x".repeat(300), "\u00e9", "\0"];
const LIMITS = { maxFids: 64, maxOpen: 8, maxMsize: 65536 };
const FS_BYTES = 1 << 20;
const BATCH = 500;
/** Lines a session may log (ninep-log.ts: 32, and the line saying how many were held back). */
const LOG_LINES_PER_SESSION = 33;

let rig: { server: NinepServer; fs: MemoryFs; logs: number; versions: number } | undefined;

function freshRig() {
  const fs = new MemoryFs({ maxBytes: FS_BYTES, maxInodes: 256 });
  const state = { server: new NinepServer(fs, { ...LIMITS, log: () => void state.logs++ }), fs, logs: 0, versions: 1 };
  const c = new NinepClient(state.server);
  c.version(8192);
  c.attach(0);
  c.mkdir(0, "d");
  c.walk(0, 1, []);
  c.lcreate(1, "f", 2, 0o644);
  c.write(1, 0, "contents of f");
  c.walk(0, 2, ["d"]);
  c.walk(0, 3, []);
  c.lopen(3, 0);
  return state;
}

function u32(p: Pick): number {
  return p.of([0, 1, 2, 3, 4, 5, p.int(64), 0xffff, 0xffffffff, p.int(2 ** 32)]);
}

function u64(p: Pick): bigint | number {
  return p.of([0, 1, p.int(10000), 2 ** 53, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n]);
}

function str(p: Pick): string {
  return p.of(NAMES);
}

/** A T-message of a served (or not) type with random, mostly plausible fields. */
function baseMessage(p: Pick): Uint8Array {
  const fid = (): Field => ["u32", p.chance(0.8) ? p.int(6) : u32(p)];
  const s = (): Field => ["s", str(p)];
  const n = (): Field => ["u32", u32(p)];
  const big = (): Field => ["u64", u64(p)];
  const bodies: [number, () => Field[]][] = [
    [T.version, () => [["u32", p.of([4096, 8192, 65536, 100, 0xffffffff])], ["s", p.of(["9P2000.L", "9P2000", "9P2000.u", ""])]]],
    [T.attach, () => [fid(), n(), s(), s(), n()]],
    [T.walk, () => { const k = p.int(18); return [fid(), fid(), ["u16", p.chance(0.9) ? k : 0xffff], ...Array.from({ length: k }, s)]; }],
    [T.lopen, () => [fid(), ["u32", p.of([0, 1, 2, 3, 0o1002, 0o200000])]]],
    [T.lcreate, () => [fid(), s(), n(), n(), n()]],
    [T.read, () => [fid(), big(), ["u32", p.of([0, 10, 100000, 0xffffffff])]]],
    [T.write, () => { const d = new Uint8Array(p.int(200)); return [fid(), big(), ["u32", p.chance(0.9) ? d.length : u32(p)], ["raw", d]]; }],
    [T.clunk, () => [fid()]], [T.remove, () => [fid()]], [T.statfs, () => [fid()]], [T.readlink, () => [fid()]],
    [T.getattr, () => [fid(), big()]],
    [T.setattr, () => [fid(), n(), n(), n(), n(), big(), big(), big(), big(), big()]],
    [T.readdir, () => [fid(), big(), ["u32", p.of([0, 24, 25, 100, 8192, 0xffffffff])]]],
    [T.fsync, () => (p.chance(0.5) ? [fid()] : [fid(), n()])],
    [T.mkdir, () => [fid(), s(), n(), n()]], [T.symlink, () => [fid(), s(), s(), n()]],
    [T.mknod, () => [fid(), s(), ["u32", p.of([0o010644, 0o140644, 0o020644, 0o100644, 0])], n(), n(), n()]],
    [T.link, () => [fid(), fid(), s()]], [T.rename, () => [fid(), fid(), s()]],
    [T.renameat, () => [fid(), s(), fid(), s()]], [T.unlinkat, () => [fid(), s(), ["u32", p.of([0, 0x200, 1])]]],
    [T.flush, () => [["u16", p.int(0x10000)]]], [T.auth, () => [n(), s(), s(), n()]],
    [T.xattrwalk, () => [fid(), fid(), s()]], [T.xattrcreate, () => [fid(), s(), big(), n()]],
    [T.lock, () => [fid(), ["u8", p.int(3)], n(), big(), big(), n(), s()]],
    [T.getlock, () => [fid(), ["u8", p.int(3)], big(), big(), n(), s()]],
    [p.int(256), () => Array.from({ length: p.int(4) }, n)],
  ];
  const [type, body] = p.of(bodies);
  return message(type, p.int(0x10000), body());
}

function setSize(m: Uint8Array, size: number): void {
  if (m.length >= 4) new DataView(m.buffer, m.byteOffset).setUint32(0, size >>> 0, true);
}

/** One of the mutations, or random bytes. */
function mutated(p: Pick): Uint8Array {
  const kind = p.int(6);
  if (kind === 0) return Uint8Array.from({ length: p.int(48) }, () => p.int(256));
  let m = baseMessage(p);
  if (kind === 1) return m;
  if (kind === 2) {
    for (let k = 1 + p.int(4); k > 0; k--) m[p.int(m.length)] = p.int(256);
  } else if (kind === 3) {
    m = m.slice(0, p.int(m.length));
  } else if (kind === 4) {
    const out = new Uint8Array(m.length + 1 + p.int(16));
    out.set(m);
    for (let i = m.length; i < out.length; i++) out[i] = p.int(256);
    m = out;
  } else {
    if (m.length > 4) m[4] = p.int(256);
  }
  // Half the time the size field tells the truth, so the decoder reads on into the fields.
  if (p.chance(0.5)) setSize(m, m.length);
  else if (p.chance(0.3)) setSize(m, p.int(2 ** 32));
  return m;
}

function hex(m: Uint8Array): string {
  return Buffer.from(m.subarray(0, 64)).toString("hex");
}

/** One case: a message, a buffer size, and every check on the reply. */
export function bytesCase(p: Pick, i: number): void {
  if (rig === undefined || i % BATCH === 0) rig = freshRig();
  const { server, fs } = rig;
  const request = mutated(p);
  const room = p.chance(0.7) ? Number.POSITIVE_INFINITY : 11 + p.int(200);
  const msize = server.stats().msize || LIMITS.maxMsize;
  let reply: Uint8Array | Promise<Uint8Array>;
  try {
    reply = server.handle(request, room);
  } catch (err) {
    throw new Error(`case ${i}: handle threw ${String(err)} on ${hex(request)}`);
  }
  if (!(reply instanceof Uint8Array)) throw new Error(`case ${i}: a Promise from a synchronous filesystem`);
  const fail = (why: string): never => {
    throw new Error(`case ${i}: ${why}; request ${hex(request)} (${request.length} bytes), room ${room}, reply ${hex(reply as Uint8Array)}`);
  };
  if (reply.length < 7) fail("reply shorter than a header");
  const v = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  if (v.getUint32(0, true) !== reply.length) fail("size field is not the length");
  const tag = request.length >= 7 ? request[5]! | (request[6]! << 8) : 0xffff;
  if (v.getUint16(5, true) !== tag) fail("tag not echoed");
  const type = v.getUint8(4);
  if (type === RLERROR) {
    if (reply.length !== 11) fail("Rlerror of the wrong length");
    const errno = v.getUint32(7, true);
    if (errno === 0 || errno >= 4096) fail(`errno ${errno}`);
  } else {
    if (request.length < 7 || !T_TYPES.has(request[4]!) || type !== request[4]! + 1) fail(`type ${type}`);
    if (reply.length > Math.min(msize, room)) fail(`reply of ${reply.length} bytes over msize ${msize} / room ${room}`);
  }
  if (request.length >= 5 && request[4] === T.version) rig.versions++;
  const stats = server.stats();
  if (stats.fids > LIMITS.maxFids || stats.openFids > LIMITS.maxOpen) fail(`fids ${stats.fids}, open ${stats.openFids}`);
  if (fs.usage().bytes > FS_BYTES) fail(`filesystem holds ${fs.usage().bytes} bytes`);
  if (rig.logs > rig.versions * LOG_LINES_PER_SESSION + 1) fail(`${rig.logs} log lines in ${rig.versions} sessions`);
}
