// Chains a hostile driver builds cheaply to make a device work hard: one indirect table
// whose entries all point at the same small buffer, so a few KiB of guest RAM describe
// gigabytes (or tens of thousands of one-byte buffers). Written with the mock driver's raw
// ring access; the head descriptor is the caller's to choose (kept out of add()'s way).
import type { MockQueue } from "./mock-driver.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";

export interface RepeatedTable {
  /** Bytes each entry describes (all the same buffer). */
  entryLen: number;
  /** Entries in the indirect table (at most 32768). */
  entries: number;
  writable: boolean;
  /** Readable entries in front of the repeated ones (e.g. a request header), as bytes. */
  prefix?: Uint8Array;
}

/** Lays out the table once; returns a function that puts it in the ring at `head` and publishes. */
export function repeatedIndirectTable(q: MockQueue, spec: RepeatedTable): (head: number) => void {
  const driver = q.driver;
  const buffer = driver.alloc(Math.max(spec.entryLen, 1), 8);
  const lead = spec.prefix ? 1 : 0;
  const total = lead + spec.entries;
  const table = driver.alloc(16 * total, 16);
  if (spec.prefix) {
    const at = driver.alloc(spec.prefix.length, 8);
    driver.write(at, spec.prefix);
    q.writeDesc(0, { addr: at, len: spec.prefix.length, flags: VIRTQ_DESC_F_NEXT, next: 1 }, table);
  }
  for (let i = lead; i < total; i++) {
    const last = i === total - 1;
    q.writeDesc(i, {
      addr: buffer, len: spec.entryLen, flags: (spec.writable ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT), next: last ? 0 : i + 1,
    }, table);
  }
  return (head) => {
    q.writeDesc(head, { addr: table, len: 16 * total, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    q.putHead(head);
    q.publish();
  };
}
