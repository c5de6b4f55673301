// The 9P server against generated messages (issue 15, point 3), >= 100,000 cases a run with
// a fixed seed (FUZZ_RUNS for more, FUZZ_SEED to explore):
//   (a) sequences of valid-ish requests, every reply compared with an independent model of
//       the files (tests/support/ninep-model.ts);
//   (b) mutated, truncated and random bytes: every reply well formed, within msize and the
//       device's buffer, the server never throws and its memory stays bounded;
//   (c) confinement: hostile names and symlink targets never reach outside the share.
import { describe, expect, it } from "vitest";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { CaseBudget } from "../support/fuzz-cases.js";
import { NinepClient } from "../support/ninep-client.js";
import { bytesCase } from "../support/ninep-fuzz-bytes.js";
import { confinementCase } from "../support/ninep-fuzz-names.js";
import { Pick, QidMap, rng, step } from "../support/ninep-fuzz-ops.js";
import { E, NinepModel } from "../support/ninep-model.js";

const budget = new CaseBudget();
const SEED = Number(process.env.FUZZ_SEED ?? 0x9b2000);
const SEQUENCE = 60;
// Small limits so that ENFILE for fids and opens is reached within a sequence.
const LIMITS = { maxFids: 6, maxOpen: 3 };

/**
 * The session saved at the end of a sequence and restored into a new server over the same
 * files: every fid restored is the model's file (its fids' paths followed every rename), and
 * every fid on a directory that still has a name is restored. (A file fid may come back
 * stale when the name it was reached by went, even if another link remains.)
 */
function checkRestore(server: NinepServer, fs: MemoryFs, model: NinepModel, qids: QidMap, where: string): void {
  const again = new NinepServer(fs, LIMITS);
  again.restoreState(new StateReader(JSON.parse(JSON.stringify(server.saveState())) as unknown, "", "9p state"));
  const c = new NinepClient(again);
  for (const [num, f] of model.fids) {
    const r = c.getattr(num);
    const what = `${where}: restored fid ${num} (a ${f.node.kind}, path ${f.node.path})`;
    if (r.ok) qids.check(f.node, r.qid, what);
    else if (r.errno !== 116 || (f.node.kind === "dir" && f.node.path !== undefined)) throw new Error(`${what}: errno ${r.errno}`);
  }
  expect(again.stats().fids).toBe(model.fids.size);
}

describe("9P fuzz", () => {
  it("(a) request sequences answer as the model predicts", () => {
    const runs = budget.runs(0.7);
    const pick = new Pick(rng(SEED));
    const tally = new Map<string, number>();
    for (let done = 0, seq = 0; done < runs; seq++) {
      const fs = new MemoryFs({ now: () => 1_700_000_000_000 });
      const server = new NinepServer(fs, LIMITS);
      const msize = pick.of([4096, 8192, 65536]);
      // Every other sequence lends a reply buffer, as the device does, dirtied before each
      // request: a Tread read into it must still match the model byte for byte, holes too.
      const lent = seq % 2 === 1 ? new Uint8Array(msize) : undefined;
      const c = new NinepClient(lent === undefined ? server : { handle: (m: Uint8Array) => server.handle(m, Infinity, lent.fill(0xa5)) });
      const model = new NinepModel(LIMITS.maxFids, LIMITS.maxOpen, msize);
      const qids = new QidMap();
      expect(c.version(msize)).toEqual({ ok: true, msize, version: "9P2000.L" });
      model.attach(0);
      const root = c.attach(0);
      if (!root.ok) throw new Error("attach failed");
      qids.check(model.root, root.qid, "attach");
      const history: string[] = [];
      for (let i = 0; i < SEQUENCE && done < runs; i++, done++) {
        const s = step(pick, c, model, qids, tally);
        history.push(s.what);
        try {
          s.run();
        } catch (err) {
          throw new Error(`seed ${SEED}, sequence ${seq}, step ${i}: ${String(err)}\n  ${history.slice(-15).join("\n  ")}`);
        }
        budget.count("sequences");
      }
      expect(server.stats()).toMatchObject({ fids: model.fids.size, openFids: model.openCount });
      checkRestore(server, fs, model, qids, `seed ${SEED}, sequence ${seq}`);
    }
    // The generator must reach every success and every refusal the model knows, or the
    // comparison proves little: each seen in at least 0.04% of the requests.
    if (process.env.FUZZ_TALLY) console.log([...tally].sort().map(([k, n]) => `${k}: ${n}`).join(", "));
    const floor = runs / 2500;
    for (const op of ["walk", "lopen", "lcreate", "read", "write", "mkdir", "renameat", "unlinkat", "readdir", "getattr", "setattr", "symlink", "readlink", "link", "clunk", "attach"]) {
      expect(tally.get(`${op} ok`) ?? 0, `${op} ok`).toBeGreaterThan(floor);
    }
    const byErrno = (errno: number) => [...tally].filter(([k]) => k.endsWith(` errno ${errno}`)).reduce((n, [, v]) => n + v, 0);
    for (const errno of Object.values(E)) expect(byErrno(errno), `errno ${errno}`).toBeGreaterThan(floor);
  }, budget.timeout(0.7));

  it("(b) mutated, truncated and random messages get well-formed replies", () => {
    const runs = budget.runs(0.2);
    const pick = new Pick(rng(SEED + 1));
    for (let i = 0; i < runs; i++) {
      bytesCase(pick, i);
      budget.count("bytes");
    }
  }, budget.timeout(0.2));

  it("(c) hostile names and links never reach outside the share", () => {
    const runs = budget.runs(0.1);
    const pick = new Pick(rng(SEED + 2));
    for (let i = 0; i < runs; i++) {
      confinementCase(pick, i);
      budget.count("confinement");
    }
  }, budget.timeout(0.1));

  it(`ran at least ${budget.total} generated cases`, () => {
    console.log(budget.summary("9p fuzz"));
    expect(budget.sum).toBeGreaterThanOrEqual(budget.total);
  });
});
