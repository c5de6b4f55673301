// v86's own part of a saved machine (CPU, guest RAM, chipset, legacy devices) put back into
// v86 without the copies its restore_state makes. v86 wants the state as an ArrayBuffer of
// its own (one copy out of a state file), then slices every array in it out of that buffer
// (a second copy), guest RAM's saved pages included: most of the instant shell's 16 MB,
// which its memory restore then copies a third time, into guest RAM. Here the state is
// read where it lies in the file. The arrays v86 keeps (its VGA memory, its registers) are
// copied as v86 would copy them; guest RAM's saved pages, which only the memory restore
// reads (v86-restore-memory.ts) and nothing keeps, stay a view of the file. Everything
// else is v86's own restore: the same layout, checks and `cpu.set_state` (v86 0.5.x,
// src/state.js, state version 6). A state that does not read gets an Error naming what is
// wrong with it, before v86 is touched.
import type { V86Core } from "./internals.js";

/** v86's STATE_MAGIC, as the signed int32 its header holds. */
const STATE_MAGIC = 0x86768676 | 0;
const STATE_VERSION = 6;
/** The header: magic, version, total length, info block length (int32 each). */
const HEADER_BYTES = 16;
/** zstd's frame magic: v86 also reads states compressed with it; ringside's never are. */
const ZSTD_MAGIC = 0xfd2fb528 | 0;
/** In the state (the cpu's get_state, its devices' within): guest RAM's saved pages, read only by unpack_memory. */
const CPU_PACKED_MEMORY = 77;

/** The array types v86 saves by their buffer (its CONSTRUCTOR_TABLE, Map aside). */
const TYPED_ARRAYS = {
  Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

interface BufferPlace {
  offset: number;
  length: number;
}

interface StateCpu {
  set_state(state: unknown[]): void;
}

function stateCpuOf(core: V86Core): StateCpu {
  const cpu = core.cpu as unknown as Partial<StateCpu>;
  if (typeof cpu.set_state !== "function") throw new Error("v86's cpu has no set_state where ringside expects it (v86 version?)");
  return cpu as StateCpu;
}

function damaged(what: string): Error {
  return new Error(`v86's part of this state is damaged: ${what}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The state's object tree (arrays still placeholders) and where each of its arrays lies in `blob`. */
function readLayout(blob: Uint8Array): { state: unknown[]; places: BufferPlace[] } {
  if (blob.length < HEADER_BYTES) throw damaged(`${blob.length} bytes, shorter than its header`);
  const header = new DataView(blob.buffer, blob.byteOffset, HEADER_BYTES);
  const magic = header.getInt32(0, true);
  if (magic === ZSTD_MAGIC) throw damaged("it is compressed with zstd, which ringside's states never are");
  if (magic !== STATE_MAGIC) throw damaged("it does not start with v86's state magic");
  const version = header.getInt32(4, true);
  if (version !== STATE_VERSION) throw damaged(`it is v86's state version ${version}; this v86 reads version ${STATE_VERSION}`);
  const length = header.getInt32(8, true);
  if (length !== blob.length) throw damaged(`its header says ${length} bytes, and it has ${blob.length}`);
  const infoLength = header.getInt32(12, true);
  if (infoLength <= 0 || HEADER_BYTES + infoLength > blob.length) throw damaged(`its info block (${infoLength} bytes) does not fit`);
  let info: unknown;
  try {
    info = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(blob.subarray(HEADER_BYTES, HEADER_BYTES + infoLength)));
  } catch (err) {
    throw damaged(`its info block does not read (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(info) || !Array.isArray(info["state"]) || !Array.isArray(info["buffer_infos"])) throw damaged("its info block has no state or buffer list");
  // The arrays follow the info block, from the next multiple of 4 (as v86 lays them out).
  const start = (HEADER_BYTES + infoLength + 3) & ~3;
  // One after another, as v86 lays them out: all of them together fit in the state, so
  // copying them costs no more than its size.
  let end = start;
  const places = info["buffer_infos"].map((place: unknown, i): BufferPlace => {
    if (!isRecord(place) || !isCount(place["offset"]) || !isCount(place["length"])) throw damaged(`array ${i} has no offset or length`);
    const at = start + place["offset"];
    if (at < end) throw damaged(`array ${i} overlaps the one before it`);
    end = at + place["length"];
    if (end > blob.length) throw damaged(`array ${i} runs past the end`);
    return { offset: at, length: place["length"] };
  });
  return { state: info["state"], places };
}

/**
 * Puts `blob` (v86's save_state, as a ringside state holds it) into v86's cpu. The cpu's
 * packed guest RAM is handed to its unpack_memory as a view of `blob`, which must stay
 * unchanged until this returns; nothing keeps that view afterwards.
 */
export function restoreV86State(core: V86Core, blob: Uint8Array): void {
  const cpu = stateCpuOf(core);
  const { state, places } = readLayout(blob);
  // Each array belongs to one object (v86 saves them so): one read twice would be copied twice.
  const taken = new Set<number>();
  const arrayAt = (value: Record<string, unknown>, copy: boolean): ArrayBufferView => {
    const type = value["__state_type__"];
    const id = value["buffer_id"];
    if (typeof type !== "string" || !Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, type)) throw damaged(`an object of unknown type ${JSON.stringify(type)}`);
    if (!isCount(id) || id >= places.length) throw damaged(`an array refers to array ${String(id)}, of ${places.length}`);
    if (taken.has(id)) throw damaged(`array ${id} is referred to twice`);
    taken.add(id);
    const Type = TYPED_ARRAYS[type as TypedArrayName];
    const { offset, length } = places[id]!;
    if (length % Type.BYTES_PER_ELEMENT !== 0) throw damaged(`a ${type} of ${length} bytes`);
    if (!copy && Type === Uint8Array) return new Uint8Array(blob.buffer, blob.byteOffset + offset, length);
    // A copy: v86's devices keep these as their own (their memory and registers), as with v86's restore.
    return new Type(blob.slice(offset, offset + length).buffer);
  };
  const revive = (value: unknown, copy: boolean): unknown => {
    if (typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => revive(item, copy));
    const record = value as Record<string, unknown>;
    if (record["__state_type__"] === "Map") {
      if (!Array.isArray(record["args"])) throw damaged("a Map without its entries");
      try {
        return new Map(record["args"] as [unknown, unknown][]);
      } catch {
        throw damaged("a Map whose entries are not pairs");
      }
    }
    return arrayAt(record, copy);
  };
  let revived: unknown[];
  try {
    // Only the packed RAM is left in place.
    revived = state.map((part, i) => revive(part, i !== CPU_PACKED_MEMORY));
  } catch (err) {
    if (err instanceof RangeError) throw damaged(`it nests too deeply (${err.message})`);
    throw err;
  }
  cpu.set_state(revived);
}
