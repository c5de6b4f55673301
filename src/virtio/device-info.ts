// What a virtio device says about itself, so that generic layers (the device model, the
// transports, the inspector, the machine's builder) need no table of their own about any
// device: its ID and name, what kind of thing it is (a transport maps that onto its own
// identifiers, e.g. a PCI class code), the names of its feature bits, the layout of its
// configuration space with field names, and the names of its queues.

/** Broad kinds a transport can name in its own terms (virtio-pci: the class code). */
export type DeviceKind = "network" | "storage" | "communication" | "entropy" | "other";

/** How a config field reads best: a number, hex, a MAC address, or raw bytes. */
export type ConfigFormat = "number" | "hex" | "mac" | "bytes";

export interface ConfigField {
  name: string;
  /** Byte offset in the device's config space. */
  offset: number;
  /** Bytes: 1, 2, 4 and 8 are little-endian numbers; other sizes are byte strings. */
  size: number;
  format: ConfigFormat;
  /** What the field means, in a few words (the inspector shows it). */
  about?: string;
}

export interface DeviceInfo {
  /** Virtio device ID (spec 5): 1 network, 2 block, 3 console, 4 entropy, ... */
  readonly id: number;
  /** For logs, the inspector and machine descriptions, e.g. "virtio-net". */
  readonly name: string;
  readonly kind: DeviceKind;
  /** Device-specific feature bits by number (spec 5.x.3); the generic ones are the model's. */
  readonly featureNames: ReadonlyArray<readonly [bit: number, name: string]>;
  /** Bytes of device-specific configuration space. */
  readonly configSize: number;
  /** The config space's fields, in offset order (bytes no field covers are shown raw). */
  readonly config: readonly ConfigField[];
  /** Queue names in queue order (the spec's: "receiveq", "transmitq", ...). */
  readonly queueNames: readonly string[];
  /** What each queue's chains carry, in queue order, for the inspector's decoders (none when absent). */
  readonly chainFormats?: readonly ChainFormat[];
}

/**
 * What a queue's buffers hold: frames behind a virtio-net header (in the readable buffers on
 * transmit, the writable ones on receive), virtio-blk requests (header, data, status byte),
 * 9P messages (a T-message to read, room for the R-message), or nothing decoded.
 */
export type ChainFormat = "net-frame" | "blk-request" | "9p-message" | "none";

/** Live figures a device reports: plain data (numbers, text, flags, and records or lists of them). */
export type Figure = number | string | boolean | null | readonly Figure[] | { readonly [key: string]: Figure | undefined };
export type Figures = { readonly [key: string]: Figure | undefined };
/**
 * An interface's fields as a plain object type: interfaces cannot be Figures as they are
 * (TypeScript gives them no index signature), their mapped copies can.
 */
export type AsFigures<T> = { [K in keyof T]: T[K] };

/** One config field of `info` decoded from the config space `read` gives byte by byte. */
export function decodeConfigField(field: ConfigField, readByte: (offset: number) => number): string {
  const bytes: number[] = [];
  for (let i = 0; i < field.size; i++) bytes.push(readByte(field.offset + i) & 0xff);
  if (field.format === "mac") return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
  if (field.format === "bytes" || ![1, 2, 4, 8].includes(field.size)) return bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return field.format === "hex" ? `0x${value.toString(16)}` : value.toString();
}
