// The disk section's table: virtio-blk beside v86's IDE, with the guest's own memory
// bandwidth as the ceiling.
import type { BlkResults } from "./blk-bench.js";

export function formatBlk(blk: BlkResults): string {
  const n = (x: number) => x.toFixed(1);
  const range = (v: { min: number; median: number; max: number } | null | undefined) =>
    v ? `${n(v.min)} / ${n(v.median)} / ${n(v.max)}` : "-";
  const rows: Array<[string, BlkResults["blk_seq_write"]]> = [
    ["virtio-blk sequential write", blk.blk_seq_write],
    ["IDE (v86) sequential write", blk.ide_seq_write],
    ["virtio-blk sequential read", blk.blk_seq_read],
    ["IDE (v86) sequential read", blk.ide_seq_read],
    ["virtio-blk 4 KiB random read", blk.blk_rand_read_4k],
    ["IDE (v86) 4 KiB random read", blk.ide_rand_read_4k],
    ["virtio-blk 4 KiB random read, mq-deadline", blk.blk_rand_read_4k_deadline],
    ["IDE (v86) 4 KiB random read, mq-deadline", blk.ide_rand_read_4k_deadline],
    ["virtio-blk O_DIRECT write", blk.blk_direct_write],
    ["IDE (v86) O_DIRECT write", blk.ide_direct_write],
    ["virtio-blk O_DIRECT read", blk.blk_direct_read],
    ["IDE (v86) O_DIRECT read", blk.ide_direct_read],
    ["guest memory bandwidth (ceiling)", blk.guest_dd_ceiling],
  ];
  const lines = ["blk (min / median / max) | MiB/s | IOPS | kicks per MiB | interrupts per MiB | context switches per read"];
  const perRead = (v: BlkResults["blk_seq_write"]["ctxt_per_read"]) => (v ? `${v.min.toFixed(2)} / ${v.median.toFixed(2)} / ${v.max.toFixed(2)}` : "-");
  for (const [name, s] of rows) {
    lines.push(`${name} | ${range(s.mib_per_s)} | ${range(s.iops)} | ${range(s.kicks_per_mib)} | ${range(s.irqs_per_mib)} | ${perRead(s.ctxt_per_read)}`);
  }
  const ratio = (a: BlkResults["blk_seq_write"], b: BlkResults["blk_seq_write"]) => (a.mib_per_s.median / b.mib_per_s.median).toFixed(2);
  lines.push(
    `virtio-blk / IDE (medians): write ${ratio(blk.blk_seq_write, blk.ide_seq_write)}, read ${ratio(blk.blk_seq_read, blk.ide_seq_read)}, ` +
      `random read ${ratio(blk.blk_rand_read_4k, blk.ide_rand_read_4k)} (mq-deadline ${ratio(blk.blk_rand_read_4k_deadline, blk.ide_rand_read_4k_deadline)}), ` +
      `O_DIRECT write ${ratio(blk.blk_direct_write, blk.ide_direct_write)}, O_DIRECT read ${ratio(blk.blk_direct_read, blk.ide_direct_read)}`,
  );
  lines.push(blk.note);
  return lines.join("\n");
}
