// Guest RAM for the fuzzers, laid out the way v86 lays it out: RAM is a window in the
// middle of a larger buffer (v86's wasm memory), so an access that escaped the bounds
// checks would land in real bytes next to RAM instead of throwing. Guard bytes fill the
// buffer before and after RAM and must never change, and every GuestMemory call the
// device makes goes through a checker that re-does the bounds test independently: a call
// outside RAM that is not refused with a GuestMemoryError, a view that does not alias
// exactly the bytes asked for, or a JIT-dirty report outside RAM is recorded as a
// violation for the test to fail on.
import { ArrayGuestMemory, GuestMemoryError, type GuestMemory } from "../../src/memory/guest-memory.js";
import { MockDriver } from "./mock-driver.js";

const GUARD_BYTES = 1024;
/** Not 0 and not 0xff: the values a stray write would most likely store. */
const GUARD_FILL = 0xa5;
/** What an untouched guard holds, for a native comparison (this runs after every fuzz round). */
const INTACT_GUARD = Buffer.alloc(GUARD_BYTES, GUARD_FILL);

export class GuardedRam {
  /** The whole buffer: guard, RAM, guard. */
  private readonly whole: Uint8Array;
  /** Guest RAM: the middle of `whole`. */
  readonly ram: Uint8Array;
  /** What the device gets: bounds-checked memory over `ram`, watched by the checker. */
  readonly memory: CheckedMemory;

  constructor(readonly size: number) {
    this.whole = new Uint8Array(GUARD_BYTES + size + GUARD_BYTES).fill(GUARD_FILL);
    this.ram = this.whole.subarray(GUARD_BYTES, GUARD_BYTES + size);
    this.ram.fill(0);
    const dirty = (start: number, end: number) => {
      if (!(start >= 0 && start <= end && end <= size)) this.memory.violations.push(`dirty range ${start}-${end} reported outside RAM`);
    };
    this.memory = new CheckedMemory(new ArrayGuestMemory(size, () => this.ram, dirty), this.ram);
  }

  /** Where a guard byte changed (as an offset from RAM's start, negative before it), if one did. */
  guardDamage(): number | undefined {
    const before = this.whole.subarray(0, GUARD_BYTES);
    const after = this.whole.subarray(GUARD_BYTES + this.size);
    const bad = (bytes: Uint8Array) =>
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).equals(INTACT_GUARD) ? -1 : bytes.findIndex((b) => b !== GUARD_FILL);
    const i = bad(before);
    if (i >= 0) return i - GUARD_BYTES;
    const j = bad(after);
    return j >= 0 ? this.size + j : undefined;
  }

  /** guardDamage() and the checker's violations in one message, or undefined when all is well. */
  problems(): string | undefined {
    const damage = this.guardDamage();
    const found = [...this.memory.violations, ...(damage === undefined ? [] : [`guard byte changed at RAM offset ${damage}`])];
    return found.length > 0 ? found.slice(0, 5).join("; ") : undefined;
  }
}

/** GuestMemory that forwards every call and records the ones a correct implementation would refuse. */
export class CheckedMemory implements GuestMemory {
  readonly violations: string[] = [];
  /** Calls refused with a GuestMemoryError (the fuzzers check they reach this path at all). */
  refusals = 0;

  constructor(private readonly inner: GuestMemory, private readonly ram: Uint8Array) {}

  get size(): number {
    return this.inner.size;
  }

  check(addr: number, length: number): void {
    this.watch("check", addr, length, () => this.inner.check(addr, length));
  }
  read8(addr: number): number { return this.watch("read8", addr, 1, () => this.inner.read8(addr)); }
  read16(addr: number): number { return this.watch("read16", addr, 2, () => this.inner.read16(addr)); }
  read32(addr: number): number { return this.watch("read32", addr, 4, () => this.inner.read32(addr)); }
  read64(addr: number): number { return this.watch("read64", addr, 8, () => this.inner.read64(addr)); }
  write16(addr: number, value: number): void { this.watch("write16", addr, 2, () => this.inner.write16(addr, value)); }
  write32(addr: number, value: number): void { this.watch("write32", addr, 4, () => this.inner.write32(addr, value)); }
  readBytes(addr: number, length: number): Uint8Array {
    return this.watch("readBytes", addr, length, () => this.inner.readBytes(addr, length));
  }
  writeBytes(addr: number, data: Uint8Array): void {
    this.watch("writeBytes", addr, data.length, () => this.inner.writeBytes(addr, data));
  }

  view(addr: number, length: number): Uint8Array {
    const v = this.watch("view", addr, length, () => this.inner.view(addr, length));
    // A view must be exactly RAM's bytes [addr, addr + length): anything wider lets the
    // caller write past what it asked for.
    if (v.buffer !== this.ram.buffer || v.byteOffset !== this.ram.byteOffset + addr || v.length !== length) {
      this.violations.push(`view(0x${addr.toString(16)}, ${length}) returned bytes ${v.byteOffset - this.ram.byteOffset}+${v.length}`);
    }
    return v;
  }

  private watch<T>(what: string, addr: number, length: number, access: () => T): T {
    const inside = Number.isSafeInteger(addr) && Number.isSafeInteger(length) && addr >= 0 && length >= 0 && addr + length <= this.size;
    let result: T;
    try {
      result = access();
    } catch (e) {
      if (e instanceof GuestMemoryError) this.refusals++;
      else this.violations.push(`${what}(0x${addr.toString(16)}, ${length}) threw ${String(e)}`);
      throw e;
    }
    if (!inside) this.violations.push(`${what}(0x${addr.toString(16)}, ${length}) is outside RAM (0x${this.size.toString(16)} bytes) and was not refused`);
    return result;
  }
}

/**
 * A MockDriver whose RAM is a GuardedRam. MockDriver's own GuestMemory looks `bytes` up
 * on `this` at every access, so pointing `bytes` at the guarded RAM moves the driver's
 * side there too; the constructor checks that it did.
 */
export class GuardedDriver extends MockDriver {
  readonly guarded: GuardedRam;
  override readonly bytes: Uint8Array;

  constructor(size: number) {
    super(size);
    this.guarded = new GuardedRam(size);
    this.bytes = this.guarded.ram;
    if (this.memory.view(0, 1).byteOffset !== this.guarded.ram.byteOffset) throw new Error("MockDriver no longer reads its RAM through `bytes`");
  }

  /** What the device model should be given. */
  get deviceMemory(): CheckedMemory {
    return this.guarded.memory;
  }
}
