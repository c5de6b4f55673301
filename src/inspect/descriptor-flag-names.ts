// A descriptor's flags in words for the chain view, split and packed alike: the names of
// the bits the ring layout knows, then whatever else is set as hex, so nothing the driver
// wrote is hidden.
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../virtio/split-descriptors.js";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from "../virtio/packed-ring-layout.js";

export type FlagTable = ReadonlyArray<readonly [bit: number, name: string]>;

export const SPLIT_FLAGS: FlagTable = [[VIRTQ_DESC_F_NEXT, "NEXT"], [VIRTQ_DESC_F_WRITE, "WRITE"], [VIRTQ_DESC_F_INDIRECT, "INDIRECT"]];
export const PACKED_FLAGS: FlagTable = [...SPLIT_FLAGS, [VIRTQ_DESC_F_AVAIL, "AVAIL"], [VIRTQ_DESC_F_USED, "USED"]];

export function namedFlags(flags: number, table: FlagTable): string[] {
  const known = table.reduce((all, [bit]) => all | bit, 0);
  const names = table.filter(([bit]) => flags & bit).map(([, name]) => name);
  if (flags & ~known) names.push(`0x${(flags & ~known).toString(16)}`);
  return names;
}
