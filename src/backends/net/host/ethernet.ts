// Ethernet II framing. Frames carry no FCS (virtio and v86's NICs leave it out).
import type { MacAddress } from "./addresses.js";

export const ETH_HEADER_BYTES = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** Shortest frame on the wire without FCS; shorter ones are padded (some NICs insist). */
export const MIN_FRAME_BYTES = 60;
/** A standard frame: 1500-byte MTU plus the header. */
export const STANDARD_FRAME_BYTES = 1514;

/** A zeroed frame of `length` bytes, padded to the minimum. */
export function allocFrame(length: number): Uint8Array {
  return new Uint8Array(Math.max(MIN_FRAME_BYTES, length));
}

export function writeEthernetHeader(frame: Uint8Array, dst: MacAddress, src: MacAddress, etherType: number): void {
  frame.set(dst.subarray(0, 6), 0);
  frame.set(src.subarray(0, 6), 6);
  frame[12] = etherType >>> 8;
  frame[13] = etherType;
}

/** A copy of the frame's source MAC (frames are only valid during the call that gave them). */
export function sourceMac(frame: Uint8Array): MacAddress {
  return frame.slice(6, 12);
}
