import { describe, expect, it } from "vitest";
import { RegisterFile, type Register } from "../../src/virtio-pci/register-file.js";

function registers() {
  const state = { sel: 0, word: 0, status: 0 };
  const writes: string[] = [];
  const regs: Register[] = [
    { offset: 0, width: 4, read: () => state.word, write: (v) => { state.word = v; writes.push(`word=${v.toString(16)}`); } },
    { offset: 4, width: 2, read: () => state.sel, write: (v) => { state.sel = v; writes.push(`sel=${v}`); } },
    { offset: 6, width: 1, read: () => state.status, write: (v) => { state.status = v; writes.push(`status=${v}`); } },
    { offset: 7, width: 1, read: () => 0x5a },
  ];
  return { file: new RegisterFile(regs), state, writes };
}

describe("register file", () => {
  it("reads and writes whole registers at their natural width", () => {
    const { file, state, writes } = registers();
    file.write(0, 4, 0xdeadbeef);
    file.write(4, 2, 0x1234);
    expect(state).toMatchObject({ word: 0xdeadbeef, sel: 0x1234 });
    expect(file.read(0, 4)).toBe(0xdeadbeef);
    expect(file.read(4, 2)).toBe(0x1234);
    expect(writes).toEqual(["word=deadbeef", "sel=4660"]);
  });

  it("merges a 16-bit register written one byte at a time, as v86 delivers 16-bit MMIO", () => {
    const { file, state } = registers();
    file.write(4, 1, 0x34);
    file.write(5, 1, 0x12);
    expect(state.sel).toBe(0x1234);
    expect(file.read(4, 1)).toBe(0x34);
    expect(file.read(5, 1)).toBe(0x12);
  });

  it("splits an access that spans registers, and ignores read-only ones", () => {
    const { file, state } = registers();
    file.write(4, 4, 0xff07_0009); // sel=9, status=7, read-only byte untouched
    expect(state).toMatchObject({ sel: 9, status: 7 });
    expect(file.read(4, 4)).toBe(0x5a07_0009);
  });

  it("reads 0 where no register is", () => {
    const { file } = registers();
    expect(file.read(8, 4)).toBe(0);
    file.write(8, 4, 0xffffffff);
  });
});
