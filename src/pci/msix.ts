// MSI-X (PCI Local Bus 3.0, 6.8.2): a capability in configuration space, and a table of
// vectors plus a pending-bit array (PBA) in a memory BAR.
//
//   capability  +2 message control: table size - 1 (bits 0-10), function mask (14), enable (15)
//               +4 table offset in its BAR | BAR indicator (bits 0-2)
//               +8 PBA offset in its BAR | BAR indicator
//   table       16 bytes per vector: message address low, high, data, vector control (bit 0: masked)
//   PBA         one bit per vector, in 64-bit words, read-only
//
// A vector's message is a memory write of its data to its address, which the platform
// turns into an interrupt. While the vector or the whole function is masked, the message
// is held as its pending bit instead, and sent when the mask is lifted. With the enable bit
// clear the function uses INTx (the transport asks `enabled`). Every vector starts masked.
//
// The guest is hostile: the table takes any write of any width at any offset (the spec
// leaves anything but aligned dwords undefined; here each byte lands where it points), the
// PBA ignores writes, and nothing throws.
import type { AccessSize } from "../platform/platform.js";
import { PciConfigError } from "./bar.js";
import type { Capability, CapabilityDefinition } from "./capabilities.js";

export const CAP_MSIX = 0x11;
/** The spec's limit: an 11-bit table size field. */
export const MSIX_MAX_VECTORS = 2048;
export const MSIX_ENTRY_SIZE = 16;

/** Offsets inside the capability (from its ID byte). */
const CONTROL = 2;
const CAP_LENGTH = 12;
export const MSIX_CONTROL_ENABLE = 1 << 15;
export const MSIX_CONTROL_FUNCTION_MASK = 1 << 14;
/** Dwords of a table entry. */
const ADDRESS_LO = 0;
const ADDRESS_HI = 1;
const DATA = 2;
const VECTOR_CONTROL = 3;
const VECTOR_MASKED = 1;
/** Writable bits of each dword of an entry: the address is dword-aligned; vector control has only its mask bit. */
const ENTRY_WRITABLE = [0xffff_fffc, 0xffff_ffff, 0xffff_ffff, VECTOR_MASKED];

export interface MsixPlacement {
  /** Table size, 1 to 2048. */
  vectors: number;
  /** The memory BAR (0-5) holding the table and the PBA. */
  bar: number;
  /** Byte offsets in that BAR, 8-byte aligned, not overlapping. */
  tableOffset: number;
  pbaOffset: number;
}

/** Where a message goes: the platform's MSI. */
export type MsixSend = (address: number, data: number) => void;

/** The table and PBA as bytes, for a snapshot (enable and mask bits are configuration bytes). */
export interface MsixState {
  table: Uint8Array;
  pba: Uint8Array;
}

export function msixTableBytes(vectors: number): number {
  return vectors * MSIX_ENTRY_SIZE;
}

/** The PBA is whole 64-bit words. */
export function msixPbaBytes(vectors: number): number {
  return Math.ceil(vectors / 64) * 8;
}

export class Msix {
  readonly vectors: number;
  /** 4 dwords per entry. */
  private readonly table: Uint32Array;
  /** One bit per vector, 32 to a word (the guest reads it in 64-bit words: two of these). */
  private readonly pending: Uint32Array;
  private readonly tableBytes: number;
  private readonly pbaBytes: number;
  private cap: Capability | undefined;

  constructor(readonly placement: MsixPlacement, private readonly send: MsixSend) {
    const { vectors, bar, tableOffset, pbaOffset } = placement;
    if (!Number.isInteger(vectors) || vectors < 1 || vectors > MSIX_MAX_VECTORS) throw new PciConfigError(`MSI-X: ${vectors} vectors is not 1 to ${MSIX_MAX_VECTORS}`);
    if (!Number.isInteger(bar) || bar < 0 || bar > 5) throw new PciConfigError(`MSI-X: BAR ${bar} is not 0-5`);
    this.vectors = vectors;
    this.tableBytes = msixTableBytes(vectors);
    this.pbaBytes = msixPbaBytes(vectors);
    for (const [what, at] of [["table", tableOffset], ["PBA", pbaOffset]] as const) {
      if (!Number.isInteger(at) || at < 0 || at % 8 !== 0 || at > 0xffff_fff8) throw new PciConfigError(`MSI-X: ${what} offset ${at} is not 8-byte aligned`);
    }
    if (tableOffset < pbaOffset + this.pbaBytes && pbaOffset < tableOffset + this.tableBytes) throw new PciConfigError("MSI-X: the table and the PBA overlap");
    this.table = new Uint32Array(4 * vectors);
    this.pending = new Uint32Array(Math.ceil(vectors / 32));
    this.reset();
  }

  /** The capability for the function's list; its message control's enable and function-mask bits are writable. */
  definition(): CapabilityDefinition {
    const { bar, tableOffset, pbaOffset } = this.placement;
    const body = [...le(this.vectors - 1, 2), ...le((tableOffset | bar) >>> 0, 4), ...le((pbaOffset | bar) >>> 0, 4)];
    const writableMask = [0, (MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK) >>> 8];
    return {
      id: CAP_MSIX,
      body,
      writableMask,
      onWrite: (_cap, offset, size) => {
        if (offset < CONTROL + 2 && offset + size > CONTROL) this.sendPending();
      },
    };
  }

  /** The function placed the capability (after laying out its configuration space). */
  placed(cap: Capability): void {
    if (cap.length !== CAP_LENGTH || cap.def.id !== CAP_MSIX) throw new PciConfigError("MSI-X: that is not this capability");
    this.cap = cap;
  }

  private get control(): number {
    return this.cap?.read(CONTROL, 2) ?? 0;
  }

  /** MSI-X is on: the function signals through the table, not INTx. */
  get enabled(): boolean {
    return (this.control & MSIX_CONTROL_ENABLE) !== 0;
  }

  get functionMasked(): boolean {
    return (this.control & MSIX_CONTROL_FUNCTION_MASK) !== 0;
  }

  isMasked(vector: number): boolean {
    return this.functionMasked || (this.table[4 * vector + VECTOR_CONTROL]! & VECTOR_MASKED) !== 0;
  }

  isPending(vector: number): boolean {
    return (this.pending[vector >>> 5]! & (1 << (vector & 31))) !== 0;
  }

  /** The message a vector sends, as the guest programmed it. */
  entry(vector: number): { address: number; data: number; masked: boolean } {
    const at = 4 * vector;
    return {
      address: this.table[at + ADDRESS_HI]! * 2 ** 32 + this.table[at + ADDRESS_LO]!,
      data: this.table[at + DATA]!,
      masked: (this.table[at + VECTOR_CONTROL]! & VECTOR_MASKED) !== 0,
    };
  }

  /**
   * The device signals `vector`: its message goes out now, or, while masked, its pending
   * bit is set. Returns false when nothing new happened (MSI-X off, no such vector, or the
   * vector was already pending: the guest will get one message for both).
   */
  signal(vector: number): boolean {
    if (!this.enabled || !Number.isInteger(vector) || vector < 0 || vector >= this.vectors) return false;
    if (this.isMasked(vector)) {
      if (this.isPending(vector)) return false;
      this.pending[vector >>> 5]! |= 1 << (vector & 31);
      return true;
    }
    this.deliver(vector);
    return true;
  }

  /** Forgets every pending message (the device was reset). */
  clearPending(): void {
    this.pending.fill(0);
  }

  /** The offset is in the table or the PBA (in the MSI-X BAR). */
  covers(offset: number): boolean {
    return this.inTable(offset) || this.inPba(offset);
  }

  /** A guest read in the MSI-X BAR; bytes outside the table and PBA read 0. */
  read(offset: number, size: AccessSize): number {
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.byte(offset + i);
    return value;
  }

  /** A guest write in the MSI-X BAR: table bytes change (within each dword's writable bits); the PBA is read-only. */
  write(offset: number, size: AccessSize, value: number): void {
    const touched = new Set<number>();
    for (let i = 0; i < size; i++) {
      const at = offset + i - this.placement.tableOffset;
      if (at < 0 || at >= this.tableBytes) continue;
      const word = at >>> 2;
      const shift = 8 * (at & 3);
      const byte = Math.floor(value / 256 ** i) & 0xff;
      const mask = (ENTRY_WRITABLE[word & 3]! >>> shift) & 0xff;
      const old = this.table[word]!;
      this.table[word] = (old & ~(mask << shift)) | ((byte & mask) << shift);
      touched.add(word >>> 2);
    }
    // An unmasked vector with its pending bit set sends its message now.
    for (const vector of touched) this.sendIfDue(vector);
  }

  /** Power-on state: every vector masked with no message, nothing pending. */
  reset(): void {
    this.table.fill(0);
    for (let v = 0; v < this.vectors; v++) this.table[4 * v + VECTOR_CONTROL] = VECTOR_MASKED;
    this.pending.fill(0);
  }

  saveState(): MsixState {
    return { table: new Uint8Array(this.table.buffer.slice(0)), pba: this.pbaAsBytes() };
  }

  /** Takes up a saved table and PBA (checked lengths); unmasked pending vectors are sent at once. */
  restoreState(state: MsixState): void {
    if (state.table.length !== this.tableBytes || state.pba.length !== this.pbaBytes) {
      throw new RangeError(`MSI-X state has ${state.table.length} table and ${state.pba.length} PBA bytes, not ${this.tableBytes} and ${this.pbaBytes}`);
    }
    const dv = new DataView(state.table.buffer, state.table.byteOffset, state.table.byteLength);
    for (let w = 0; w < this.table.length; w++) this.table[w] = (dv.getUint32(4 * w, true) & ENTRY_WRITABLE[w & 3]!) >>> 0;
    this.pending.fill(0);
    for (let v = 0; v < this.vectors; v++) if (state.pba[v >>> 3]! & (1 << (v & 7))) this.pending[v >>> 5]! |= 1 << (v & 31);
    this.sendPending();
  }

  /** After message control changed: lifting the function mask (or enabling) sends what is pending. */
  private sendPending(): void {
    for (let v = 0; v < this.vectors; v++) this.sendIfDue(v);
  }

  private sendIfDue(vector: number): void {
    if (!this.enabled || !this.isPending(vector) || this.isMasked(vector)) return;
    this.deliver(vector);
  }

  /** Sends the vector's message (every interrupt comes through here: nothing is allocated). */
  private deliver(vector: number): void {
    this.pending[vector >>> 5]! &= ~(1 << (vector & 31));
    const at = 4 * vector;
    this.send(this.table[at + ADDRESS_HI]! * 2 ** 32 + this.table[at + ADDRESS_LO]!, this.table[at + DATA]!);
  }

  private inTable(offset: number): boolean {
    return offset >= this.placement.tableOffset && offset < this.placement.tableOffset + this.tableBytes;
  }

  private inPba(offset: number): boolean {
    return offset >= this.placement.pbaOffset && offset < this.placement.pbaOffset + this.pbaBytes;
  }

  private byte(offset: number): number {
    if (this.inTable(offset)) {
      const at = offset - this.placement.tableOffset;
      return (this.table[at >>> 2]! >>> (8 * (at & 3))) & 0xff;
    }
    if (this.inPba(offset)) {
      const bit = 8 * (offset - this.placement.pbaOffset);
      return bit >= this.vectors ? 0 : (this.pending[bit >>> 5]! >>> (bit & 31)) & 0xff;
    }
    return 0;
  }

  private pbaAsBytes(): Uint8Array {
    const bytes = new Uint8Array(this.pbaBytes);
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.byte(this.placement.pbaOffset + i);
    return bytes;
  }
}

function le(value: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(value / 256 ** i) & 0xff);
}
