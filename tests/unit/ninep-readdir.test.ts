// Treaddir over large folders: thousands of entries read in several requests, each reply at
// most `count` bytes, continued by the offset of the last entry; changes made between two
// requests neither repeat nor skip the entries that stayed.
import { describe, expect, it } from "vitest";
import { errno, listDir, mounted, O_DIRECTORY, O_RDONLY, ok, ROOT_FID, walkTo } from "../support/ninep-setup.js";
import type { NinepClient } from "../support/ninep-client.js";

function fill(c: NinepClient, count: number, prefix = "entry-"): string[] {
  const names: string[] = [];
  ok(c.walk(ROOT_FID, 50, []));
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${String(i).padStart(5, "0")}`;
    ok(c.mkdir(50, name));
    names.push(name);
  }
  ok(c.clunk(50));
  return names;
}

describe("9P readdir", () => {
  it("lists 5,000 entries across many Treaddir calls, each reply within count", () => {
    const { c } = mounted({ fs: { maxInodes: 10_000 } });
    const names = fill(c, 5000);
    walkTo(c, 1, "");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    const seen: string[] = [];
    let offset = 0n;
    let calls = 0;
    for (;;) {
      const { entries, bytes } = ok(c.readdir(1, offset, 1000));
      expect(bytes).toBeLessThanOrEqual(1000);
      if (entries.length === 0) break;
      calls++;
      seen.push(...entries.map((e) => e.name));
      offset = entries[entries.length - 1]!.offset;
    }
    expect(seen).toEqual([".", "..", ...names]);
    expect(calls).toBeGreaterThan(100);
    expect(listDir(c, "", 65536 - 11)).toEqual(names);
  });

  it("clamps count to msize - 11 and keeps every entry whole", () => {
    const { c } = mounted({ msize: 4096, fs: { maxInodes: 1000 } });
    fill(c, 600);
    walkTo(c, 1, "");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    const r = ok(c.readdir(1, 0, 1 << 30));
    expect(r.bytes).toBeLessThanOrEqual(4096 - 11);
    expect(r.bytes).toBeGreaterThan(4096 - 11 - 40);
  });

  it("entries removed and added between calls: the others are listed exactly once", () => {
    const { c } = mounted({ fs: { maxInodes: 10_000 } });
    const names = fill(c, 3000);
    walkTo(c, 1, "");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    const seen = new Map<string, number>();
    let offset = 0n;
    const ROUNDS = 40;
    for (let round = 0; ; round++) {
      const { entries } = ok(c.readdir(1, offset, 2000));
      if (entries.length === 0) break;
      for (const e of entries) seen.set(e.name, (seen.get(e.name) ?? 0) + 1);
      offset = entries[entries.length - 1]!.offset;
      if (round >= ROUNDS) continue;
      // The first rounds each remove one name already listed and one not yet listed, and add one.
      ok(c.unlinkat(ROOT_FID, names[round * 7]!, 0x200));
      ok(c.unlinkat(ROOT_FID, names[2999 - round]!, 0x200));
      ok(c.mkdir(ROOT_FID, `new-${round}`));
    }
    const stayed = names.filter((_n, i) => !(i % 7 === 0 && i < ROUNDS * 7) && i <= 2999 - ROUNDS);
    expect(stayed.length).toBe(3000 - 2 * ROUNDS);
    for (const n of stayed) expect(seen.get(n), n).toBe(1);
    for (const [n, k] of seen) expect(k, n).toBe(1);
  });

  it("continues after a removed entry's offset; a bogus offset past the end lists nothing", () => {
    const { c } = mounted();
    fill(c, 10);
    walkTo(c, 1, "");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    const first = ok(c.readdir(1, 0, 100)).entries;
    const last = first[first.length - 1]!;
    ok(c.unlinkat(ROOT_FID, last.name, 0x200));
    const rest = ok(c.readdir(1, last.offset, 8192)).entries.map((e) => e.name);
    expect(rest[0]).toBe(`entry-0000${first.length - 2}`);
    expect(ok(c.readdir(1, 2n ** 60n, 8192)).entries).toEqual([]);
  });

  it("EINVAL when count cannot hold the next entry, never an empty reply that would end the listing", () => {
    const { c } = mounted();
    fill(c, 1, "a-rather-long-name-");
    walkTo(c, 1, "");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    expect(errno(c.readdir(1, 0, 10))).toBe(22);
    expect(errno(c.readdir(1, 2, 30))).toBe(22);
    expect(ok(c.readdir(1, 3, 10)).entries).toEqual([]);
  });

  it("a removed folder, still open, lists nothing", () => {
    const { c } = mounted();
    ok(c.mkdir(ROOT_FID, "gone"));
    walkTo(c, 1, "gone");
    ok(c.lopen(1, O_RDONLY | O_DIRECTORY));
    ok(c.unlinkat(ROOT_FID, "gone", 0x200));
    expect(ok(c.readdir(1, 0, 4096)).entries).toEqual([]);
    expect(errno(c.mkdir(1, "x"))).toBe(2);
  });
});
