// A 9P server over a fresh memory filesystem with a session open (Tversion, then Tattach of
// fid 0 as the share's root), for the unit tests.
import { MemoryFs, type MemoryFsOptions } from "../../src/backends/9p/memory-fs.js";
import { NinepServer, type NinepServerOptions } from "../../src/backends/9p/ninep-server.js";
import { NinepClient, type Reply } from "./ninep-client.js";

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const AT_REMOVEDIR = 0x200;
export const ROOT_FID = 0;

export interface Mounted {
  fs: MemoryFs;
  server: NinepServer;
  c: NinepClient;
  logs: string[];
}

export function mounted(opts: { fs?: MemoryFsOptions; server?: NinepServerOptions; msize?: number; uid?: number } = {}): Mounted {
  const fs = new MemoryFs({ now: () => 1_700_000_000_000, ...opts.fs });
  const logs: string[] = [];
  const server = new NinepServer(fs, { log: (m) => logs.push(m), ...opts.server });
  const c = new NinepClient(server);
  ok(c.version(opts.msize ?? 65536));
  ok(c.attach(ROOT_FID, opts.uid ?? 1000));
  return { fs, server, c, logs };
}

/** The reply's fields, failing the test on an Rlerror. */
export function ok<R>(r: Reply<R>): R {
  if (!r.ok) throw new Error(`expected success, got errno ${r.errno}`);
  return r;
}

/** The Rlerror's errno, failing the test on a success. */
export function errno<R>(r: Reply<R>): number {
  if (r.ok) throw new Error(`expected an error, got success ${JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
  return r.errno;
}

/** Walks fid 0 to `path` (names split on '/') into `newfid`. */
export function walkTo(c: NinepClient, newfid: number, path: string): void {
  ok(c.walk(ROOT_FID, newfid, path === "" ? [] : path.split("/")));
}

/** Creates `path` (its folder must exist) with `text`, through Tlcreate and Twrite; leaves no fid. */
export function writeFile(c: NinepClient, path: string, text: string | Uint8Array, fid = 900): void {
  const parts = path.split("/");
  const name = parts.pop()!;
  ok(c.walk(ROOT_FID, fid, parts));
  ok(c.lcreate(fid, name, O_RDWR, 0o644));
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  for (let at = 0; at < bytes.length; at += 4096) ok(c.write(fid, at, bytes.subarray(at, at + 4096)));
  ok(c.clunk(fid));
}

/** The whole content of `path`, read with Tread in `chunk`-byte requests. */
export function readFile(c: NinepClient, path: string, chunk = 8192, fid = 901): Uint8Array {
  walkTo(c, fid, path);
  ok(c.lopen(fid, O_RDONLY));
  const parts: Uint8Array[] = [];
  for (let offset = 0; ; ) {
    const { data } = ok(c.read(fid, offset, chunk));
    if (data.length === 0) break;
    parts.push(data);
    offset += data.length;
  }
  ok(c.clunk(fid));
  return Buffer.concat(parts);
}

/** The names in folder `path` (without "." and ".."), read with Treaddir in `count`-byte requests. */
export function listDir(c: NinepClient, path: string, count = 8192, fid = 902): string[] {
  walkTo(c, fid, path);
  ok(c.lopen(fid, O_RDONLY | O_DIRECTORY));
  const names: string[] = [];
  let offset = 0n;
  for (;;) {
    const { entries } = ok(c.readdir(fid, offset, count));
    if (entries.length === 0) break;
    for (const e of entries) if (e.name !== "." && e.name !== "..") names.push(e.name);
    offset = entries[entries.length - 1]!.offset;
  }
  ok(c.clunk(fid));
  return names;
}
