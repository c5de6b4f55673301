// What a cooked terminal sent, as the file it came from. With onlcr the tty layer turns each
// newline into CR LF on the way out; base64 text has no CR of its own, so taking the CR off
// every CR LF gives the file back exactly, and anything else (a CR alone, a newline without
// its CR) is a byte the console changed, lost or made up.
import type { ConsoleMode } from "./console-bench.js";

const CR = 0x0d;
const LF = 0x0a;

/**
 * `chunks` as the file: unchanged unless `mode` is cooked, then with the CR of every CR LF
 * taken off; null when the cooked bytes are not exactly the file with CR LF newlines.
 */
export function asFileBytes(chunks: readonly Uint8Array[], mode: ConsoleMode): Uint8Array[] | null {
  if (mode !== "cooked") return [...chunks];
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let size = 0;
  let afterCr = false;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (afterCr && byte !== LF) return null;
      if (byte === LF && !afterCr) return null;
      afterCr = byte === CR;
      if (!afterCr) out[size++] = byte;
    }
  }
  return afterCr ? null : [out.subarray(0, size)];
}

/** Bytes a run of `copies` copies of a file sends in `mode`: one more per newline when cooked. */
export function sentBytes(file: { bytes: number; lines: number }, copies: number, mode: ConsoleMode): number {
  return (file.bytes + (mode === "cooked" ? file.lines : 0)) * copies;
}
