// The reader of v86's own state on made-up states: what it hands v86's cpu (copies, and
// guest RAM's saved pages as a view), and a clear error for each way a state can be
// damaged, before the cpu is touched. tests/guest/v86-state-restore.test.ts holds it to
// v86's own restore on a real state.
import { describe, expect, it } from "vitest";
import { restoreV86State } from "../../src/v86/v86-state-restore.js";
import type { V86Core } from "../../src/v86/internals.js";

const MAGIC = 0x86768676 | 0;
const PACKED_MEMORY = 77;

/** A v86 state (its layout, version 6) holding `state`, whose arrays refer to `arrays` by index. */
function v86State(state: unknown[], arrays: Uint8Array[], tweak: { magic?: number; version?: number; length?: number; info?: Uint8Array } = {}): Uint8Array {
  const places: { offset: number; length: number }[] = [];
  let offset = 0;
  for (const a of arrays) {
    places.push({ offset, length: a.length });
    offset = (offset + a.length + 3) & ~3;
  }
  const info = tweak.info ?? new TextEncoder().encode(JSON.stringify({ state, buffer_infos: places }));
  const start = (16 + info.length + 3) & ~3;
  const blob = new Uint8Array(start + offset);
  const header = new DataView(blob.buffer);
  header.setInt32(0, tweak.magic ?? MAGIC, true);
  header.setInt32(4, tweak.version ?? 6, true);
  header.setInt32(8, tweak.length ?? blob.length, true);
  header.setInt32(12, info.length, true);
  blob.set(info, 16);
  arrays.forEach((a, i) => blob.set(a, start + places[i]!.offset));
  return blob;
}

/** A cpu that records what it is given. */
function fakeCore(): { core: V86Core; given: unknown[][] } {
  const given: unknown[][] = [];
  const cpu = { set_state: (state: unknown[]) => given.push(state) };
  return { core: { cpu } as unknown as V86Core, given };
}

/** A file around the state, so that it does not start at its buffer's first byte. */
function inFile(blob: Uint8Array): Uint8Array {
  const file = new Uint8Array(blob.length + 7);
  file.set(blob, 7);
  return file.subarray(7);
}

const typed = (type: string, id: number) => ({ __state_type__: type, buffer_id: id });

describe("restoreV86State", () => {
  it("gives the cpu copies of its arrays, guest RAM's saved pages as a view of the file, and the rest as saved", () => {
    const state: unknown[] = Array.from({ length: 80 }, (_, i) => i);
    state[3] = typed("Int32Array", 0);
    state[5] = [typed("Float64Array", 1), "text", null];
    state[9] = { __state_type__: "Map", args: [[1, "one"]] };
    state[PACKED_MEMORY] = typed("Uint8Array", 2);
    const pages = new Uint8Array(8192).fill(0xab);
    const file = inFile(v86State(state, [new Uint8Array(new Int32Array([-5, 7]).buffer), new Uint8Array(new Float64Array([1.5]).buffer), pages]));
    const { core, given } = fakeCore();
    restoreV86State(core, file);
    expect(given).toHaveLength(1);
    const got = given[0]!;
    expect(got[0]).toBe(0);
    expect(got[3]).toEqual(new Int32Array([-5, 7]));
    expect((got[3] as Int32Array).buffer).not.toBe(file.buffer);
    expect(got[5]).toEqual([new Float64Array([1.5]), "text", null]);
    expect(got[9]).toEqual(new Map([[1, "one"]]));
    const packed = got[PACKED_MEMORY] as Uint8Array;
    expect(packed.buffer).toBe(file.buffer);
    expect(packed.length).toBe(8192);
    expect(packed.every((b) => b === 0xab)).toBe(true);
  });

  it.each([
    ["a state shorter than its header", () => new Uint8Array(12), /shorter than its header/],
    ["zstd", () => v86State([], [], { magic: 0xfd2fb528 | 0 }), /compressed with zstd/],
    ["another magic", () => v86State([], [], { magic: 0x12345678 }), /does not start with v86's state magic/],
    ["another version", () => v86State([], [], { version: 5 }), /version 5; this v86 reads version 6/],
    ["a length that is not the state's", () => v86State([], [], { length: 999 }), /its header says 999 bytes/],
    ["an info block that is not JSON", () => v86State([], [], { info: new TextEncoder().encode("{nope") }), /its info block does not read/],
    ["an info block without a state", () => v86State([], [], { info: new TextEncoder().encode('{"buffer_infos":[]}') }), /no state or buffer list/],
    ["an array past the end", () => v86State([typed("Uint8Array", 0)], [], { info: new TextEncoder().encode('{"state":[],"buffer_infos":[{"offset":0,"length":4096}]}') }), /array 0 runs past the end/],
    ["an array without a length", () => v86State([], [], { info: new TextEncoder().encode('{"state":[],"buffer_infos":[{"offset":0}]}') }), /array 0 has no offset or length/],
    ["arrays that overlap", () => v86State([], [new Uint8Array(16)], { info: new TextEncoder().encode('{"state":[],"buffer_infos":[{"offset":0,"length":8},{"offset":4,"length":4}]}') }), /array 1 overlaps the one before it/],
    ["an array referred to twice", () => v86State([typed("Uint8Array", 0), typed("Uint8Array", 0)], [new Uint8Array(8)]), /array 0 is referred to twice/],
    ["an unknown type", () => v86State([typed("BigInt64Array", 0)], [new Uint8Array(8)]), /unknown type "BigInt64Array"/],
    ["a reference to a missing array", () => v86State([typed("Uint8Array", 3)], [new Uint8Array(8)]), /refers to array 3, of 1/],
    ["an array whose size does not fit its type", () => v86State([typed("Uint32Array", 0)], [new Uint8Array(6)]), /a Uint32Array of 6 bytes/],
    ["a Map without entries", () => v86State([{ __state_type__: "Map" }], []), /a Map without its entries/],
    ["a Map of things that are not pairs", () => v86State([{ __state_type__: "Map", args: [5] }], []), /not pairs/],
  ])("refuses %s before the cpu is touched", (_what, make, message) => {
    const { core, given } = fakeCore();
    expect(() => restoreV86State(core, inFile(make()))).toThrow(message);
    expect(given).toEqual([]);
  });

  it("says so when v86's cpu is not the one it was written for", () => {
    const core = { cpu: {} } as unknown as V86Core;
    expect(() => restoreV86State(core, v86State([], []))).toThrow(/v86's cpu has no set_state where ringside expects it/);
  });

  it("refuses a state nested beyond the stack, with the reason", () => {
    const info = new TextEncoder().encode(`{"state":${"[".repeat(200_000)}0${"]".repeat(200_000)},"buffer_infos":[]}`);
    const { core, given } = fakeCore();
    expect(() => restoreV86State(core, v86State([], [], { info }))).toThrow(/v86's part of this state is damaged: it nests too deeply/);
    expect(given).toEqual([]);
  });
});
