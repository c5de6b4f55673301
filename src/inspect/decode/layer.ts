// What a decoder makes of a chain's bytes: layers (a header or a message each), as plain
// data that crosses the worker API with the chain view, and the small tools every decoder
// shares. Decoders read guest bytes the driver (or the device) wrote and believe nothing
// in them: a length that runs past what was read ends the layer with a problem, never an
// exception, and a layer's fields are bounded by the decoder, not by the guest.

/** One field of a decoded layer: "src port" = "80", with a few words on what it means. */
export interface DecodedField {
  name: string;
  value: string;
  about?: string;
}

/** One header or message decoded from a chain's buffers. */
export interface DecodedLayer {
  /** "virtio-net header", "Ethernet", "IPv4", "TCP", "virtio-blk request", "9P Twalk", ... */
  name: string;
  fields: DecodedField[];
  /** Where it starts: the descriptor (its position in the chain view's list) and the byte in its buffer. */
  descriptor: number;
  offset: number;
  /** Bytes it covers from there (it may run on into the next descriptors' buffers). */
  length: number;
  /** "truncated: ..." or "malformed: ..." when the bytes did not hold the whole layer. */
  problem?: string;
}

export type Side = "readable" | "writable";

/**
 * A layer as a decoder builds it, placed in the byte stream it was given (the chain's
 * readable or writable buffers, one after another). chain-decode.ts maps `start` to a
 * descriptor and an offset in its buffer.
 */
export interface LayerDraft {
  /** Which bytes `start` counts in: the chain's device-readable or device-writable buffers. */
  side: Side;
  name: string;
  fields: DecodedField[];
  start: number;
  length: number;
  problem?: string;
}

/** Thrown by ByteReader when a field runs past the bytes; a decoder turns it into `problem`. */
export class Truncated {
  constructor(readonly problem: string) {}
}

/** Fields in the order they are added, with a cap so that no guest count can grow them. */
export class FieldList {
  readonly fields: DecodedField[] = [];
  constructor(private readonly max = 24) {}

  add(name: string, value: string | number, about?: string): void {
    if (this.fields.length >= this.max) return;
    this.fields.push(about === undefined ? { name, value: String(value) } : { name, value: String(value), about });
  }
}

/**
 * Runs one decoder over the bytes `r` reads, from `start`: a Truncated (or anything else a decoder did
 * not expect) becomes the draft's problem with the fields read so far.
 */
export function decodeLayer(name: string, r: { readonly side: Side }, start: number, decode: (fields: FieldList) => number): LayerDraft {
  const list = new FieldList();
  const { side } = r;
  try {
    const length = decode(list);
    return { side, name, fields: list.fields, start, length };
  } catch (e) {
    const problem = e instanceof Truncated ? e.problem : `malformed: ${e instanceof Error ? e.message : String(e)}`;
    return { side, name, fields: list.fields, start, length: 0, problem };
  }
}

export const hex = (n: number, digits = 0): string => `0x${n.toString(16).padStart(digits, "0")}`;

/** Names of the bits set in `value`, by bit value; unknown bits as hex; "none" when 0. */
export function bitNames(value: number, names: ReadonlyArray<readonly [bit: number, name: string]>): string {
  const out: string[] = [];
  let rest = value;
  for (const [bit, name] of names) {
    if (value & bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(hex(rest));
  return out.length > 0 ? out.join(" ") : "none";
}
