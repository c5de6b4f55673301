// What a file given as the initrd is, checked before v86 is built. Linux unpacks newc cpio
// archives, plain or compressed (gzip, xz, lz4, zstd, bzip2, lzma, lzo), and concatenations
// of them; whether a given kernel has each decompressor is its own business, so a known
// format is never refused. What is named: an empty file, something that is not an initrd
// at all (a kernel, a disk or filesystem image, an ELF program), an uncompressed archive
// that stops before its end (a truncated download), and one too large for the RAM v86
// loads it into (at 64 MiB, below the end of RAM).
import { ImageError } from "./images.js";
import { walkCpioArchive } from "./cpio-walk.js";

export type InitrdFormat = "cpio" | "gzip" | "xz" | "lz4" | "zstd" | "bzip2" | "lzma" | "lzo";

const MAGICS: ReadonlyArray<[InitrdFormat, readonly number[]]> = [
  ["gzip", [0x1f, 0x8b]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["lz4", [0x02, 0x21, 0x4c, 0x18]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["bzip2", [0x42, 0x5a, 0x68]],
  ["lzo", [0x89, 0x4c, 0x5a, 0x4f]],
  ["lzma", [0x5d, 0x00, 0x00]],
];

/** v86 loads the initrd at 64 MiB; the kernel needs some RAM above it for itself. */
const INITRD_AT_MIB = 64;
const ROOM_ABOVE_MIB = 32;

export interface InitrdFacts {
  format: InitrdFormat;
}

export function checkInitrd(bytes: Uint8Array, name: string, memoryMiB: number): InitrdFacts {
  const fail = (why: string): never => {
    throw new ImageError(`${name}: ${why}`);
  };
  if (bytes.length === 0) fail("the file is empty");
  const room = (memoryMiB - INITRD_AT_MIB - ROOM_ABOVE_MIB) * 1024 * 1024;
  if (bytes.length > room) {
    fail(`${bytes.length} bytes is more than fits: v86 loads the initrd at ${INITRD_AT_MIB} MiB, and with ${memoryMiB} MiB of RAM the kernel needs it to end by ${memoryMiB - ROOM_ABOVE_MIB} MiB (give more memory)`);
  }
  const format = formatOf(bytes);
  if (!format) fail(notAnInitrd(bytes));
  if (format === "cpio") {
    const problem = cpioProblem(bytes);
    if (problem) fail(problem);
  }
  return { format: format! };
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

function formatOf(bytes: Uint8Array): InitrdFormat | undefined {
  const text = new TextDecoder().decode(bytes.subarray(0, 6));
  if (text === "070701" || text === "070702") return "cpio";
  return MAGICS.find(([, magic]) => startsWith(bytes, magic))?.[0];
}

function notAnInitrd(bytes: Uint8Array): string {
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return "an ELF file (a program or a vmlinux), not an initrd";
  if (bytes.length > 0x206 && new TextDecoder().decode(bytes.subarray(0x202, 0x206)) === "HdrS") return "a Linux kernel (bzImage), not an initrd";
  if (bytes.length > 1081 && bytes[1080] === 0x53 && bytes[1081] === 0xef) return "an ext2/3/4 filesystem image, not an initrd: give it as a disk";
  if (bytes.length >= 512 && bytes[510] === 0x55 && bytes[511] === 0xaa) return "a disk image (it has a boot sector), not an initrd: give it as a disk";
  if (new TextDecoder().decode(bytes.subarray(0, 6)) === "070707") return "an old-format (odc) cpio archive: Linux unpacks newc archives (cpio -H newc)";
  return "not an initrd: neither a newc cpio archive nor one compressed with gzip, xz, lz4, zstd, bzip2, lzma or lzo";
}

/** What is wrong with an uncompressed archive; what follows its trailer (zero padding, further archives) is the kernel's to read. */
function cpioProblem(bytes: Uint8Array): string | undefined {
  const walk = walkCpioArchive(bytes);
  return "problem" in walk ? walk.problem : undefined;
}
