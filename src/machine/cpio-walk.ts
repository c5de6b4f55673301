// Walks an uncompressed newc cpio archive's headers to its TRAILER!!! entry: where the
// first archive of an initrd ends, or why it cannot be read. Bounded by the bytes given:
// every step moves forward at least one header.
const NEWC_HEADER = 110;

export type CpioWalk = { end: number } | { problem: string };

/** Where the archive at the start of `bytes` ends (just past its trailer), or what is wrong with it. */
export function walkCpioArchive(bytes: Uint8Array): CpioWalk {
  const decoder = new TextDecoder();
  let at = 0;
  for (;;) {
    if (at + NEWC_HEADER > bytes.length) return { problem: `truncated: the cpio archive stops at byte ${at} before its TRAILER!!! entry (a partial download?)` };
    const magic = decoder.decode(bytes.subarray(at, at + 6));
    if (magic !== "070701" && magic !== "070702") return { problem: `a broken cpio archive: no entry header at byte ${at}` };
    const field = (i: number) => Number.parseInt(decoder.decode(bytes.subarray(at + 6 + 8 * i, at + 14 + 8 * i)), 16);
    const fileSize = field(6);
    const nameSize = field(11);
    if (!Number.isFinite(fileSize) || !Number.isFinite(nameSize) || nameSize < 1) return { problem: `a broken cpio archive: a bad entry header at byte ${at}` };
    const nameEnd = at + NEWC_HEADER + nameSize;
    if (nameEnd > bytes.length) return { problem: `truncated: the cpio archive stops inside an entry at byte ${at}` };
    const entryName = decoder.decode(bytes.subarray(at + NEWC_HEADER, nameEnd - 1));
    const dataStart = (nameEnd + 3) & ~3;
    const next = (dataStart + fileSize + 3) & ~3;
    if (entryName === "TRAILER!!!") return { end: Math.min(next, bytes.length) };
    if (dataStart + fileSize > bytes.length) return { problem: `truncated: the cpio archive's ${JSON.stringify(entryName)} ends past the end of the file` };
    at = next;
  }
}
