// Structured fuzzing of the 9P server: random sequences of valid-ish requests, each sent
// through the test client (which checks every reply's frame and fields) and predicted by
// the independent model (ninep-model.ts). A mismatch throws with the seed, the step and
// the requests so far, so any failure can be replayed.
import type { NinepClient, Reply } from "./ninep-client.js";
import type { Qid } from "./ninep-wire-test.js";
import { E, S_IFDIR, type MFid, type MNode, type NinepModel } from "./ninep-model.js";
import { readdir, renameat, treeOutcome, unlinkat } from "./ninep-model-tree.js";

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Pick {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  of<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const NAMES = ["a", "b", "c"];
const FLAGS = [0, 1, 2, 0o1001, 0o1002, 3, 0o200000];
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const QID_TYPE = { dir: 0x80, symlink: 0x02, file: 0 } as const;

/** Checks each node keeps one qid path, and each qid path one node (the server never reuses inode numbers). */
export class QidMap {
  private readonly byNode = new Map<number, bigint>();
  private readonly byPath = new Map<bigint, number>();

  check(node: MNode, qid: Qid, what: string): void {
    if (qid.type !== QID_TYPE[node.kind]) throw new Error(`${what}: qid type ${qid.type} for a ${node.kind}`);
    const known = this.byNode.get(node.id);
    const owner = this.byPath.get(qid.path);
    if ((known !== undefined && known !== qid.path) || (owner !== undefined && owner !== node.id)) {
      throw new Error(`${what}: qid path ${qid.path} for model node ${node.id} (known as ${known}, path owned by ${owner})`);
    }
    this.byNode.set(node.id, qid.path);
    this.byPath.set(qid.path, node.id);
  }
}

type Step = { what: string; run: () => void };

/**
 * One generated request: sends it, predicts it, compares; `what` names it for the failure
 * message. `tally` counts outcomes ("mkdir ok", "unlinkat errno 39"), so the suite can show that
 * both successes and each refusal were reached.
 */
export function step(p: Pick, c: NinepClient, m: NinepModel, qids: QidMap, tally: Map<string, number>): Step {
  // Inputs lean on the model's fids (which exist, which are directories, which are open) so
  // that most requests get past EBADF; the rest are any number, to keep EBADF in the mix.
  const existing = [...m.fids.keys()];
  const having = (test: (f: MFid) => boolean) => existing.filter((n) => test(m.fids.get(n)!));
  const dirs = having((f) => f.node.kind === "dir");
  const opened = having((f) => f.open !== undefined);
  const links = having((f) => f.node.kind === "symlink");
  const free = [0, 1, 2, 3, 4, 5, 6, 7].filter((n) => !m.fids.has(n));
  const fid = () => (existing.length > 0 && p.chance(0.85) ? p.of(existing) : p.int(8));
  const dirFid = () => (dirs.length > 0 && p.chance(0.8) ? p.of(dirs) : fid());
  const openFid = () => (opened.length > 0 && p.chance(0.8) ? p.of(opened) : fid());
  const openFor = (use: "read" | "write") => {
    const able = opened.filter((n) => m.fids.get(n)!.open![use]);
    return able.length > 0 && p.chance(0.8) ? p.of(able) : openFid();
  };
  const freeFid = () => (free.length > 0 && p.chance(0.8) ? p.of(free) : p.int(8));
  const name = () => p.of(NAMES);
  const expectSame = <R, T>(what: string, reply: Reply<R>, predicted: { errno: number } | { ok: T }, compare: (r: R, t: T) => void) => {
    const key = `${what.split(" ")[0]!} ${"errno" in predicted ? `errno ${predicted.errno}` : "ok"}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    if ("errno" in predicted) {
      if (reply.ok) throw new Error(`${what}: expected errno ${predicted.errno}, got success`);
      if (reply.errno !== predicted.errno) throw new Error(`${what}: expected errno ${predicted.errno}, got ${reply.errno}`);
      return;
    }
    if (!reply.ok) throw new Error(`${what}: expected success, got errno ${reply.errno}`);
    compare(reply, predicted.ok);
  };
  const qidOnly = (what: string) => (r: { qid: Qid }, n: MNode) => qids.check(n, r.qid, what);
  const empty = () => undefined;
  // With no directory fid left, most requests would be EBADF: attach again, usually.
  const roll = dirs.length === 0 && p.chance(0.7) ? 98 : p.int(100);
  if (roll < 18) {
    const [a, b] = [dirFid(), p.chance(0.2) ? -1 : freeFid()];
    const names = Array.from({ length: p.int(4) }, () => (p.chance(0.2) ? ".." : name()));
    const newfid = b < 0 ? a : b;
    const what = `walk ${a} -> ${newfid} [${names.join(",")}]`;
    return { what, run: () => expectSame(what, c.walk(a, newfid, names), treeOutcome(() => m.walk(a, newfid, names)), (r, found) => {
      if (r.qids.length !== found.length) throw new Error(`${what}: ${r.qids.length} qids, expected ${found.length}`);
      r.qids.forEach((q, i) => qids.check(found[i]!, q, what));
    }) };
  }
  if (roll < 27) {
    const [f, flags] = [fid(), p.of(FLAGS)];
    const what = `lopen ${f} ${flags.toString(8)}`;
    return { what, run: () => expectSame(what, c.lopen(f, flags), treeOutcome(() => m.lopen(f, flags)), (r, n) => {
      qids.check(n, r.qid, what);
      if (r.iounit !== m.msize - 24) throw new Error(`${what}: iounit ${r.iounit}`);
    }) };
  }
  if (roll < 34) {
    const [f, n, flags, mode] = [dirFid(), name(), p.of(FLAGS), p.of([0o644, 0o600, 0o7777, 0o170777])];
    const what = `lcreate ${f} ${n} ${flags.toString(8)} ${mode.toString(8)}`;
    return { what, run: () => expectSame(what, c.lcreate(f, n, flags, mode), treeOutcome(() => m.lcreate(f, n, flags, mode)), qidOnly(what)) };
  }
  if (roll < 42) {
    const [f, offset, count] = [openFor("read"), offsetOf(p), p.of([0, 1 + p.int(600), 1_000_000])];
    const what = `read ${f} @${offset} ${count}`;
    return { what, run: () => expectSame(what, c.read(f, offset, count), treeOutcome(() => m.read(f, clamp(offset), count)), (r, data) => {
      if (Buffer.compare(Buffer.from(r.data), Buffer.from(data)) !== 0) throw new Error(`${what}: ${r.data.length} bytes differ from the model's ${data.length}`);
    }) };
  }
  if (roll < 50) {
    const [f, offset] = [openFor("write"), offsetOf(p)];
    const data = Uint8Array.from({ length: p.int(300) }, () => p.int(256));
    const what = `write ${f} @${offset} ${data.length}`;
    return { what, run: () => expectSame(what, c.write(f, offset, data), treeOutcome(() => m.write(f, clamp(offset), data)), (r, n) => {
      if (r.count !== n) throw new Error(`${what}: count ${r.count}`);
    }) };
  }
  if (roll < 56) {
    const [f, n] = [dirFid(), name()];
    const what = `mkdir ${f} ${n}`;
    return { what, run: () => expectSame(what, c.mkdir(f, n, 0o755), treeOutcome(() => m.mkdir(f, n, 0o755)), qidOnly(what)) };
  }
  if (roll < 61) {
    const [a, on, b, nn] = [dirFid(), name(), dirFid(), name()];
    const what = `renameat ${a} ${on} -> ${b} ${nn}`;
    return { what, run: () => expectSame(what, c.renameat(a, on, b, nn), treeOutcome(() => renameat(m, a, on, b, nn)), empty) };
  }
  if (roll < 67) {
    const [f, n, flags] = [dirFid(), name(), p.of([0, 0x200, 0x200, 0x200, 1])];
    const what = `unlinkat ${f} ${n} ${flags}`;
    return { what, run: () => expectSame(what, c.unlinkat(f, n, flags), treeOutcome(() => unlinkat(m, f, n, flags)), empty) };
  }
  if (roll < 71) {
    const f = openFid();
    const what = `readdir ${f}`;
    return { what, run: () => expectSame(what, c.readdir(f, 0, 8192), treeOutcome(() => readdir(m, f)), (r, entries) => {
      const got = r.entries.map((e) => e.name);
      const want = entries.map((e) => e.name);
      if (got.slice(0, 2).join() !== want.slice(0, 2).join() || [...got].sort().join() !== [...want].sort().join()) {
        throw new Error(`${what}: listed [${got.join(",")}], expected [${want.join(",")}]`);
      }
      for (const e of r.entries) qids.check(entries.find((x) => x.name === e.name)!.node, e.qid, `${what} ${e.name}`);
    }) };
  }
  if (roll < 77) {
    const f = fid();
    const what = `getattr ${f}`;
    return { what, run: () => expectSame(what, c.getattr(f), treeOutcome(() => m.getattr(f)), (r, n) => {
      qids.check(n, r.qid, what);
      const size = n.kind === "symlink" ? Buffer.byteLength(n.target) : n.kind === "file" ? n.data.length : 0;
      const want = { mode: n.mode, nlink: BigInt(m.nlink(n)), size: BigInt(size) };
      const got = { mode: r.mode, nlink: r.nlink, size: r.size };
      if (got.mode !== want.mode || got.nlink !== want.nlink || got.size !== want.size) throw new Error(`${what}: ${String(Object.values(got))} expected ${String(Object.values(want))}`);
    }) };
  }
  if (roll < 81) {
    const f = fid();
    const mode = p.chance(0.6) ? p.of([0o600, 0o4755, 0o170000 | 0o700]) : undefined;
    const size = mode === undefined || p.chance(0.5) ? p.int(3000) : undefined;
    const valid = (mode === undefined ? 0 : 1) | (size === undefined ? 0 : 8) | (p.chance(0.3) ? 0x30 : 0);
    const what = `setattr ${f} mode ${mode?.toString(8)} size ${size}`;
    return { what, run: () => expectSame(what, c.setattr(f, { valid, mode, size }), treeOutcome(() => m.setattr(f, mode, size)), empty) };
  }
  if (roll < 84) {
    const [f, n, t] = [dirFid(), name(), p.of(["a", "../../etc/passwd", "/", "x/y"])];
    const what = `symlink ${f} ${n} -> ${t}`;
    return { what, run: () => expectSame(what, c.symlink(f, n, t), treeOutcome(() => m.symlink(f, n, t)), qidOnly(what)) };
  }
  if (roll < 86) {
    const f = links.length > 0 && p.chance(0.7) ? p.of(links) : fid();
    const what = `readlink ${f}`;
    return { what, run: () => expectSame(what, c.readlink(f), treeOutcome(() => m.readlink(f)), (r, t) => {
      if (r.target !== t) throw new Error(`${what}: ${r.target}`);
    }) };
  }
  if (roll < 89) {
    const [d, f, n] = [dirFid(), fid(), name()];
    const what = `link ${d} ${n} -> fid ${f}`;
    return { what, run: () => expectSame(what, c.link(d, f, n), treeOutcome(() => m.link(d, f, n)), empty) };
  }
  if (roll < 97) {
    const f = p.chance(0.5) ? openFid() : fid();
    const what = `clunk ${f}`;
    return { what, run: () => expectSame(what, c.clunk(f), treeOutcome(() => m.clunk(f)), empty) };
  }
  if (roll < 98) {
    const f = fid();
    const [what, run] = p.chance(0.5)
      ? [`fsync ${f}`, () => expectSame(`fsync ${f}`, c.fsync(f), treeOutcome(() => m.fsync(f)), empty)]
      : [`statfs ${f}`, () => expectSame(`statfs ${f}`, c.statfs(f), treeOutcome(() => m.fid(f)), (r) => {
        if (r.namelen !== 255) throw new Error(`statfs: namelen ${r.namelen}`);
      })];
    return { what, run };
  }
  if (roll < 99) {
    const f = freeFid();
    const what = `attach ${f}`;
    return { what, run: () => expectSame(what, c.attach(f), treeOutcome(() => m.attach(f)), qidOnly(what)) };
  }
  if (p.chance(0.8)) return { what: "flush", run: () => expectSame("flush", c.flush(p.int(0x10000)), { ok: 0 }, empty) };
  const msize = p.of([4096, 8192, 65536]);
  return { what: `version ${msize} + attach 0`, run: () => {
    expectSame("version", c.version(msize), { ok: m.version(msize) }, (r) => {
      if (r.msize !== msize || r.version !== "9P2000.L") throw new Error(`version: ${r.msize} ${r.version}`);
    });
    expectSame("attach 0", c.attach(0), treeOutcome(() => m.attach(0)), qidOnly("attach 0"));
  } };
}

function offsetOf(p: Pick): bigint | number {
  return p.chance(0.05) ? U64_MAX : p.of([0, p.int(400), p.int(5000)]);
}

/** The server reads a u64 above 2^53 - 1 as 2^53. */
function clamp(offset: bigint | number): number {
  return typeof offset === "bigint" ? 2 ** 53 : offset;
}

export { E, S_IFDIR };
