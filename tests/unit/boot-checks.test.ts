// The checks on a kernel and an initrd given to the machine (kernel-check.ts,
// initrd-check.ts), on real files of every kind: the bundled bzImage and initrd, what
// Debian's compressors make of the initrd, a real ELF program, a real ext2 image, and
// files derived from the real bzImage the way a wrong one would differ (a zImage's load
// flag, an x86_64 kernel's 64-bit flag, a truncated download).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { checkKernel } from "../../src/machine/kernel-check.js";
import { checkInitrd } from "../../src/machine/initrd-check.js";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { STOCK_BUILD_TIMEOUT_MS, stockKernel } from "../support/stock-kernel.js";

const bzImage = new Uint8Array(readFileSync(join(DEFAULT_IMAGES_DIR, "bzImage")));
const initrd = new Uint8Array(readFileSync(join(DEFAULT_IMAGES_DIR, "initrd.img")));

function compressed(tool: string, args: string[]): Uint8Array {
  return new Uint8Array(execFileSync(tool, args, { input: initrd, maxBuffer: 64 * 1024 * 1024 }));
}

/** The real bzImage with one header byte changed, as a different kernel would have it. */
function withHeaderByte(offset: number, change: (b: number) => number): Uint8Array {
  const copy = bzImage.slice();
  copy[offset] = change(copy[offset]!);
  return copy;
}

describe("a kernel given to the machine", () => {
  it("takes the bundled bzImage and reads its boot protocol, version and command-line limit", () => {
    const facts = checkKernel(bzImage, "bzImage");
    expect(facts.protocol).toMatch(/^2\.1\d$/);
    expect(facts.version).toMatch(/^6\.1\.\d+ \(ringside@ringside\)/);
    expect(facts.maxCmdline).toBe(2047);
  });

  it("names a zImage, an x86_64 kernel and a truncated download", () => {
    expect(() => checkKernel(withHeaderByte(0x211, (b) => b & ~1), "z")).toThrow(/^z: a zImage \(it loads below 1 MiB\): v86 boots bzImages only/);
    expect(() => checkKernel(withHeaderByte(0x236, (b) => b | 1), "k64")).toThrow(/^k64: an x86_64 \(64-bit\) kernel: v86 emulates a 32-bit CPU/);
    expect(() => checkKernel(bzImage.subarray(0, bzImage.length >> 1), "half")).toThrow(/^half: truncated: its header says \d+ bytes, the file has \d+/);
    expect(() => checkKernel(bzImage.subarray(0, 100), "tiny")).toThrow(/^tiny: 100 bytes: too short/);
  });

  it("names files that are not a bzImage at all", () => {
    expect(() => checkKernel(new Uint8Array(readFileSync(process.execPath).subarray(0, 1 << 16)), "vmlinux")).toThrow(/^vmlinux: an ELF file \(a vmlinux\?\), not a bzImage/);
    expect(() => checkKernel(gzipSync(bzImage), "k.gz")).toThrow(/^k\.gz: a gzip file, not a bzImage/);
    expect(() => checkKernel(initrd, "initrd.img")).toThrow(/^initrd\.img: a cpio archive \(an initrd\?\), not a kernel/);
    const ext2 = join(mkdtempSync(join(tmpdir(), "ringside-ext2-")), "fs.img");
    execFileSync("mke2fs", ["-q", "-F", "-t", "ext2", ext2, "1024"]);
    expect(() => checkKernel(new Uint8Array(readFileSync(ext2)), "fs.img")).toThrow(/^fs\.img: not a Linux x86 kernel/);
    expect(() => checkKernel(new Uint8Array(0), "empty")).toThrow(/^empty: the file is empty/);
  });

  // Real kernels nobody here built: Debian's, fetched by images/stock/build-stock.sh (the
  // first run downloads them; later runs find them in .cache/stock).
  it("refuses Debian's real x86_64 vmlinuz naming it, and takes Debian's 686 one with its version", async () => {
    const stock = await stockKernel();
    expect(() => checkKernel(new Uint8Array(readFileSync(stock.vmlinuzAmd64)), "vmlinuz-amd64")).toThrow(/^vmlinuz-amd64: an x86_64 \(64-bit\) kernel: v86 emulates a 32-bit CPU/);
    const facts = checkKernel(new Uint8Array(readFileSync(stock.vmlinuz)), "vmlinuz");
    expect(facts.version?.startsWith(`${stock.release} (debian-kernel@lists.debian.org) `)).toBe(true);
    expect(facts.version).toContain(` Debian ${stock.packageVersion} `);
    expect(facts.maxCmdline).toBe(2047);
  }, STOCK_BUILD_TIMEOUT_MS);
});

describe("an initrd given to the machine", () => {
  it("takes newc cpio plain and compressed every way Debian's tools make it, and concatenations", () => {
    expect(checkInitrd(initrd, "initrd.img", 256).format).toBe("cpio");
    expect(checkInitrd(gzipSync(initrd), "i.gz", 256).format).toBe("gzip");
    expect(checkInitrd(compressed("xz", ["-c", "--check=crc32"]), "i.xz", 256).format).toBe("xz");
    expect(checkInitrd(compressed("lz4", ["-l", "-c"]), "i.lz4", 256).format).toBe("lz4");
    expect(checkInitrd(compressed("zstd", ["-c", "-q"]), "i.zst", 256).format).toBe("zstd");
    expect(checkInitrd(compressed("bzip2", ["-c"]), "i.bz2", 256).format).toBe("bzip2");
    const both = new Uint8Array([...initrd, ...gzipSync(initrd)]);
    expect(checkInitrd(both, "early+main", 256).format).toBe("cpio");
  }, 30_000); // runs xz, lz4 and zstd over the initrd: 4-6 s on a busy 2-core machine

  it("names a truncated archive, one too large for the RAM, and files that are not initrds", () => {
    expect(() => checkInitrd(initrd.subarray(0, initrd.length >> 1), "half", 256)).toThrow(/^half: truncated: the cpio archive/);
    const big = new Uint8Array(40 * 1024 * 1024);
    big.set(initrd);
    expect(() => checkInitrd(big, "big", 128)).toThrow(/^big: 41943040 bytes is more than fits: v86 loads the initrd at 64 MiB, and with 128 MiB of RAM/);
    expect(() => checkInitrd(bzImage, "bzImage", 256)).toThrow(/^bzImage: a Linux kernel \(bzImage\), not an initrd/);
    const ext2 = join(mkdtempSync(join(tmpdir(), "ringside-ext2-")), "fs.img");
    execFileSync("mke2fs", ["-q", "-F", "-t", "ext2", ext2, "1024"]);
    expect(() => checkInitrd(new Uint8Array(readFileSync(ext2)), "fs.img", 256)).toThrow(/^fs\.img: an ext2\/3\/4 filesystem image, not an initrd: give it as a disk/);
    expect(() => checkInitrd(new Uint8Array(readFileSync(process.execPath).subarray(0, 4096)), "node", 256)).toThrow(/^node: an ELF file/);
    expect(() => checkInitrd(new Uint8Array(0), "empty", 256)).toThrow(/^empty: the file is empty/);
  });
});
