// --pcap's file: blocks reach the file whole and in order however they fall against the
// buffer, and a disk that fails ends the capture with a reason instead of an exception.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PcapFileError, PcapFileSink } from "../../src/cli/pcap-file.js";

const block = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("PcapFileSink", () => {
  it("writes every block in order, small and larger than its buffer, and flushes on demand", () => {
    const path = join(mkdtempSync(join(tmpdir(), "pcap-file-")), "out.pcapng");
    const sink = PcapFileSink.open(path);
    const blocks = [block(100, 1), block(200_000, 2), block(100_000, 3), block(600_000, 4), block(4, 5)];
    expect(sink.write(blocks[0]!)).toBe(true);
    sink.flush();
    expect(readFileSync(path).length).toBe(100);
    for (const b of blocks.slice(1)) expect(sink.write(b)).toBe(true);
    expect(sink.close()).toBeUndefined();
    expect(Buffer.compare(readFileSync(path), Buffer.concat(blocks))).toBe(0);
    expect(sink.write(block(8, 6))).toBe(false);
  });

  it("refuses blocks after a write fails, and says why at close", () => {
    if (!existsSync("/dev/full")) return;
    const sink = PcapFileSink.open("/dev/full");
    expect(sink.write(block(300_000, 1))).toBe(false);
    expect(sink.write(block(10, 1))).toBe(false);
    expect(sink.close()).toMatch(/ENOSPC/);
  });

  it("names a file it cannot create", () => {
    expect(() => PcapFileSink.open("/nonexistent-dir/x.pcapng")).toThrow(PcapFileError);
    expect(() => PcapFileSink.open("/nonexistent-dir/x.pcapng")).toThrow(/--pcap: cannot create \/nonexistent-dir\/x\.pcapng: .*ENOENT/);
  });
});
