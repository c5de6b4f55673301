// What a file given as the kernel is, from its x86 boot header (Documentation/arch/x86/
// boot.rst), checked before v86 is built: a wrong file (an ELF vmlinux, a zImage, a disk
// image, a truncated download) or a kernel v86 cannot run (x86_64) is named here, with
// the reason, instead of a boot that hangs without a word. A valid bzImage is never
// refused: every check is on a fact the header states.
import { ImageError } from "./images.js";

export interface KernelFacts {
  /** Boot protocol version, "2.15". */
  protocol: string;
  /** The kernel's version string when the header points at one ("6.1.0-27-686 (debian-kernel@...) #1 SMP ..."). */
  version?: string;
  /** Command-line bytes the kernel takes (cmdline_size; 255 before protocol 2.06). */
  maxCmdline: number;
}

const HDRS = 0x53726448; // "HdrS" at 0x202, little-endian
const MIN_BYTES = 0x250;

export function checkKernel(bytes: Uint8Array, name: string): KernelFacts {
  const fail = (why: string): never => {
    throw new ImageError(`${name}: ${why}`);
  };
  if (bytes.length === 0) fail("the file is empty");
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    fail("an ELF file (a vmlinux?), not a bzImage: boot the kernel's arch/x86/boot/bzImage");
  }
  if (bytes.length < MIN_BYTES) fail(`${bytes.length} bytes: too short to be a Linux kernel (a truncated download?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0x202, true) !== HDRS) fail(notAKernel(bytes, view));
  const protocol = view.getUint16(0x206, true);
  const protocolText = `${protocol >> 8}.${(protocol & 0xff).toString().padStart(2, "0")}`;
  if (protocol < 0x0200) fail(`boot protocol ${protocolText}: a kernel from before 2.00 (Linux 1.3.73), which v86 cannot load`);
  const loadflags = view.getUint8(0x211);
  if ((loadflags & 0x01) === 0) fail("a zImage (it loads below 1 MiB): v86 boots bzImages only (make bzImage)");
  // XLF_KERNEL_64: the kernel has a 64-bit entry point, which only x86_64 kernels have.
  if (protocol >= 0x020c && (view.getUint16(0x236, true) & 0x0001) !== 0) {
    fail("an x86_64 (64-bit) kernel: v86 emulates a 32-bit CPU and cannot run it; use an i386/i686 kernel (e.g. Debian's linux-image-686)");
  }
  const setupSects = view.getUint8(0x1f1) || 4;
  const expected = (setupSects + 1) * 512 + view.getUint32(0x1f4, true) * 16;
  if (bytes.length < expected) fail(`truncated: its header says ${expected} bytes, the file has ${bytes.length}`);
  return {
    protocol: protocolText,
    ...versionString(bytes, view, protocol),
    maxCmdline: protocol >= 0x0206 ? view.getUint32(0x238, true) : 255,
  };
}

/** The kernel_version string, when the header has one inside the file. */
function versionString(bytes: Uint8Array, view: DataView, protocol: number): { version?: string } {
  if (protocol < 0x0201) return {};
  const pointer = view.getUint16(0x20e, true);
  if (pointer === 0) return {};
  const start = 0x200 + pointer;
  let end = start;
  while (end < bytes.length && end < start + 256 && bytes[end] !== 0) end++;
  if (end === start || end >= bytes.length) return {};
  return { version: new TextDecoder().decode(bytes.subarray(start, end)).replace(/[^\x20-\x7e]/g, "?") };
}

/** What a file without the boot header looks like instead, for the message. */
function notAKernel(bytes: Uint8Array, view: DataView): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "a gzip file, not a bzImage (a compressed kernel? unpack it first; or is it an initrd?)";
  if (bytes.length > 0x28 && view.getUint32(0x24, true) === 0x016f2818) return "an ARM zImage: v86 runs x86 kernels only";
  if (bytes.length >= 512 && bytes[510] === 0x55 && bytes[511] === 0xaa) return "a disk image (it has a boot sector), not a kernel: give it as a disk and boot from it";
  if (bytes.length >= 6 && new TextDecoder().decode(bytes.subarray(0, 5)) === "07070") return "a cpio archive (an initrd?), not a kernel";
  return 'not a Linux x86 kernel: no boot header ("HdrS" at 0x202)';
}
