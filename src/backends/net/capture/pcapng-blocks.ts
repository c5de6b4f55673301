// pcapng blocks (draft-ietf-opsawg-pcapng), little-endian: the section header, one
// interface description per card, one enhanced packet per frame and the interface
// statistics written when a capture stops. Pure encoding: the caller decides what to keep.
//
// Every block is: u32 type, u32 total length, body padded to 4 bytes, u32 total length
// again (so a reader can walk backwards). Options are u16 code, u16 length, the value
// padded to 4, ended by code 0.

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const ISB = 0x00000005;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** LINKTYPE_ETHERNET: frames start at the destination MAC. */
export const LINKTYPE_ETHERNET = 1;
/**
 * The largest frame recorded whole. A TSO frame from the guest or a GSO frame for it is at
 * most 64 KiB of IP plus its Ethernet header; libpcap's own ceiling leaves room to spare.
 */
export const CAPTURE_SNAPLEN = 262144;

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_MACADDR = 6;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;
const ISB_STARTTIME = 2;
const ISB_ENDTIME = 3;
const ISB_IFRECV = 4;
const ISB_OSDROP = 7;
const ISB_USRDELIV = 8;

/** Which way a frame went, seen from the card: the guest sent it, or it was delivered to the guest. */
export type FrameDirection = "from-guest" | "to-guest";

interface Option {
  code: number;
  value: Uint8Array;
}

const text = (code: number, s: string): Option => ({ code, value: new TextEncoder().encode(s) });
const u8 = (code: number, n: number): Option => ({ code, value: Uint8Array.of(n) });
function u32(code: number, n: number): Option {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, n >>> 0, true);
  return { code, value };
}
/** A 64-bit count (frames seen, dropped) as pcapng stores it. */
function u64(code: number, n: number): Option {
  const value = new Uint8Array(8);
  const v = new DataView(value.buffer);
  v.setUint32(0, n >>> 0, true);
  v.setUint32(4, Math.floor(n / 0x1_0000_0000) >>> 0, true);
  return { code, value };
}
/** A timestamp option: high word first, as in the packet blocks (pcapng 4.6). */
function stamp(code: number, us: number): Option {
  const value = new Uint8Array(8);
  const v = new DataView(value.buffer);
  v.setUint32(0, Math.floor(us / 0x1_0000_0000) >>> 0, true);
  v.setUint32(4, us >>> 0, true);
  return { code, value };
}

const pad4 = (n: number): number => (n + 3) & ~3;

function optionsLength(options: readonly Option[]): number {
  return options.length === 0 ? 0 : options.reduce((sum, o) => sum + 4 + pad4(o.value.length), 4);
}

/** One block: `fixed` is the body before the options, already padded to 4 bytes. */
function block(type: number, fixed: Uint8Array, options: readonly Option[]): Uint8Array {
  const total = 12 + fixed.length + optionsLength(options);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  out.set(fixed, 8);
  let at = 8 + fixed.length;
  if (options.length > 0) {
    for (const o of options) {
      view.setUint16(at, o.code, true);
      view.setUint16(at + 2, o.value.length, true);
      out.set(o.value, at + 4);
      at += 4 + pad4(o.value.length);
    }
    view.setUint32(at, OPT_END, true); // opt_endofopt: code 0, length 0
    at += 4;
  }
  view.setUint32(at, total, true);
  return out;
}

/** The section header: byte order, version 1.0, length unknown (-1), which program wrote it. */
export function sectionHeaderBlock(application: string): Uint8Array {
  const fixed = new Uint8Array(16);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, BYTE_ORDER_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 0, true);
  v.setInt32(8, -1, true);
  v.setInt32(12, -1, true);
  return block(SHB, fixed, [text(SHB_USERAPPL, application)]);
}

export interface CaptureInterface {
  /** The guest's name for the card ("eth0"). */
  name: string;
  /** What the frames are (readers show it: say here that offloaded frames appear unsplit). */
  description: string;
  /** The card's MAC as six bytes, when known. */
  mac?: Uint8Array;
}

/** An Ethernet interface with microsecond timestamps (if_tsresol 6) and CAPTURE_SNAPLEN. */
export function interfaceDescriptionBlock(iface: CaptureInterface): Uint8Array {
  const fixed = new Uint8Array(8);
  const v = new DataView(fixed.buffer);
  v.setUint16(0, LINKTYPE_ETHERNET, true);
  v.setUint32(4, CAPTURE_SNAPLEN, true);
  const options = [text(IF_NAME, iface.name), text(IF_DESCRIPTION, iface.description), u8(IF_TSRESOL, 6)];
  if (iface.mac?.length === 6) options.push({ code: IF_MACADDR, value: iface.mac });
  return block(IDB, fixed, options);
}

export interface PacketRecord {
  /** The interface's index in the order its description block was written. */
  interfaceId: number;
  /** Microseconds since 1970 (if_tsresol 6). */
  timestampUs: number;
  frame: Uint8Array;
  direction: FrameDirection;
}

/** One frame, cut to CAPTURE_SNAPLEN, with its direction in epb_flags (inbound: to the guest). */
export function enhancedPacketBlock(p: PacketRecord): Uint8Array {
  const captured = Math.min(p.frame.length, CAPTURE_SNAPLEN);
  const fixed = new Uint8Array(20 + pad4(captured));
  const v = new DataView(fixed.buffer);
  v.setUint32(0, p.interfaceId, true);
  v.setUint32(4, Math.floor(p.timestampUs / 0x1_0000_0000) >>> 0, true);
  v.setUint32(8, p.timestampUs >>> 0, true);
  v.setUint32(12, captured, true);
  v.setUint32(16, p.frame.length, true);
  fixed.set(p.frame.subarray(0, captured), 20);
  // epb_flags bits 0-1: 01 inbound, 10 outbound, as the interface saw the frame.
  return block(EPB, fixed, [u32(EPB_FLAGS, p.direction === "to-guest" ? 1 : 2)]);
}

export interface InterfaceStatistics {
  interfaceId: number;
  startUs: number;
  endUs: number;
  /** Frames the card passed while the capture ran. */
  seen: number;
  /** Frames written. */
  recorded: number;
  /** Frames left out because the capture was full. */
  dropped: number;
  comment?: string;
}

/** The interface's figures for the capture: seen, delivered to the file, dropped for want of room. */
export function interfaceStatisticsBlock(s: InterfaceStatistics): Uint8Array {
  const fixed = new Uint8Array(12);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, s.interfaceId, true);
  v.setUint32(4, Math.floor(s.endUs / 0x1_0000_0000) >>> 0, true);
  v.setUint32(8, s.endUs >>> 0, true);
  const options = [
    stamp(ISB_STARTTIME, s.startUs), stamp(ISB_ENDTIME, s.endUs),
    u64(ISB_IFRECV, s.seen), u64(ISB_OSDROP, s.dropped), u64(ISB_USRDELIV, s.recorded),
  ];
  if (s.comment !== undefined) options.unshift(text(OPT_COMMENT, s.comment));
  return block(ISB, fixed, options);
}

/** The largest interface statistics block (with a comment of up to `commentBytes` bytes). */
export function interfaceStatisticsBytes(commentBytes: number): number {
  return 12 + 12 + 4 + 2 * 12 + 3 * 12 + 4 + pad4(commentBytes);
}
