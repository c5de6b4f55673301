// A virtio-blk request (virtio 1.2, 5.2.6): the 16-byte header the driver wrote (type,
// sector), the data buffers between it and the status byte, and the status byte the device
// writes last, in the last byte of the last device-writable buffer.
import { ByteReader } from "./bytes.js";
import type { ChainBytes } from "./chain-bytes.js";
import { decodeLayer, type LayerDraft } from "./layer.js";

const HEADER_BYTES = 16;
const SECTOR_BYTES = 512;
const SEGMENT_BYTES = 16;
const TYPES: Record<number, [name: string, about: string]> = {
  0: ["IN", "read from the disk into the data buffers"],
  1: ["OUT", "write the data buffers to the disk"],
  4: ["FLUSH", "make earlier writes durable"],
  8: ["GET_ID", "the disk's serial number, up to 20 bytes"],
  10: ["GET_LIFETIME", "flash wear estimates"],
  11: ["DISCARD", "the sectors' contents may go (segments in the data)"],
  13: ["WRITE_ZEROES", "zero the sectors (segments in the data)"],
  14: ["SECURE_ERASE", "erase the sectors for good (segments in the data)"],
};
const STATUS: Record<number, string> = { 0: "OK", 1: "IOERR", 2: "UNSUPP" };

const bytesText = (n: number) => (n >= 1024 && n % 1024 === 0 ? `${n} (${n / 1024} KiB)` : String(n));

export function decodeBlkRequest(c: ChainBytes): LayerDraft[] {
  const r = c.readable;
  const layers = [decodeLayer("virtio-blk request", r, 0, (f) => {
    const type = r.le32(0, "type");
    const known = TYPES[type];
    f.add("type", known ? `${type} ${known[0]}` : `${type} (unknown)`, known?.[1]);
    const sector = r.le64(8, "sector");
    f.add("sector", sector.toString(), "in 512-byte sectors, whatever the disk's block size");
    f.add("byte offset", bytesText(Number(sector * BigInt(SECTOR_BYTES))), "where on the disk: sector × 512");
    // The data buffers: readable after the header (a write), writable before the status byte (a read).
    const data = Math.max(0, r.total - HEADER_BYTES) + Math.max(0, c.writableTotal - 1);
    const sectors = data / SECTOR_BYTES;
    f.add("data", `${bytesText(data)} bytes${Number.isInteger(sectors) && sectors > 0 ? ` = ${sectors} sector${sectors === 1 ? "" : "s"}` : ""}`);
    if ((type === 11 || type === 13 || type === 14) && r.total >= HEADER_BYTES + SEGMENT_BYTES) {
      f.add("segments", Math.floor((r.total - HEADER_BYTES) / SEGMENT_BYTES));
      f.add("first segment", `sector ${r.le64(HEADER_BYTES, "segment sector")}, ${r.le32(HEADER_BYTES + 8, "segment sectors")} sectors`);
    }
    return HEADER_BYTES;
  })];
  if (c.writableTotal < 1) return layers;
  const status = new ByteReader(c.lastWritable === undefined ? new Uint8Array(0) : Uint8Array.of(c.lastWritable), 1, "writable");
  const layer = decodeLayer("virtio-blk status", status, 0, (f) => {
    if (c.lastWritable === undefined) {
      f.add("status", "not written yet", "the device writes it when the request is done");
      return 1;
    }
    const value = status.u8(0, "status");
    f.add("status", `${value} ${STATUS[value] ?? "(unknown)"}`, "OK, IOERR (the disk failed) or UNSUPP (type not supported)");
    return 1;
  });
  layers.push({ ...layer, start: c.writableTotal - 1 });
  return layers;
}
