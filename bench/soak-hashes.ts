// The host side of the soak's checks, with node:crypto rather than the project's own
// Sha256 (which the upload service uses): the reference must not share code with what it
// checks.
import { createHash } from "node:crypto";
import { fillBlob } from "../src/backends/net/services/blob.js";
import { SECTOR_SIZE, type Disk } from "../src/backends/disk.js";

const PIECE = 1024 * 1024;

/** The hex SHA-256 of blob (bytes, seed), the bytes the host's /blob serves for that URL. */
export function referenceBlobSha256(bytes: number, seed: number): string {
  const hash = createHash("sha256");
  const piece = new Uint8Array(PIECE);
  for (let at = 0; at < bytes; at += PIECE) {
    const part = piece.subarray(0, Math.min(PIECE, bytes - at));
    fillBlob(seed, at, part);
    hash.update(part);
  }
  return hash.digest("hex");
}

/** The hex SHA-256 of `bytes` bytes of the disk from byte `offset` (both whole sectors), read from the backend. */
export function diskRangeSha256(disk: Disk, offset: number, bytes: number): string {
  if (offset % SECTOR_SIZE !== 0 || bytes % SECTOR_SIZE !== 0) throw new RangeError("soak: disk ranges are whole sectors");
  const hash = createHash("sha256");
  const piece = new Uint8Array(PIECE);
  for (let at = 0; at < bytes; at += PIECE) {
    const part = piece.subarray(0, Math.min(PIECE, bytes - at));
    disk.read((offset + at) / SECTOR_SIZE, part);
    hash.update(part);
  }
  return hash.digest("hex");
}
