import { describe, expect, it } from "vitest";
import { BootPhaseTracker, type BootPhase } from "../../src/machine/boot-phases.js";

function track(chunks: string[]): BootPhase[] {
  const seen: BootPhase[] = [];
  const tracker = new BootPhaseTracker((p) => seen.push(p));
  tracker.enter("loading");
  tracker.enter("firmware");
  for (const c of chunks) tracker.feed(c);
  return seen;
}

describe("boot phase tracker", () => {
  it("follows the serial markers in order, each phase once", () => {
    expect(
      track([
        "early console\nDecompressing Linux... ", "Parsing ELF... done.\nBooting the kernel (entry_offset: 0).\n",
        "[ 1.38] Run /init as init process\n", "\nringside:~# ", "ringside:~# ",
      ]),
    ).toEqual(["loading", "firmware", "decompress", "kernel", "userspace", "shell"]);
  });

  it("finds a marker split across chunks", () => {
    expect(track(["Decompr", "essing Linux", "... Booting the ", "kernel"])).toEqual([
      "loading", "firmware", "decompress", "kernel",
    ]);
  });

  it("finds markers in one chunk longer than the kept tail (a busy machine's batched output)", () => {
    const kernelLog = "[    0.000000] Linux version 6.1\r\n".repeat(20);
    expect(track([`early console in extract_kernel\r\nDecompressing Linux... done.\r\nBooting the kernel.\r\n${kernelLog}`])).toEqual([
      "loading", "firmware", "decompress", "kernel",
    ]);
  });

  it("takes the prompt with busybox's cursor query after it, but not mid-line text", () => {
    expect(track(["echo ringside:~# hello\n"])).not.toContain("shell");
    expect(track(["ringside:/tmp# \x1b[6n"])).toContain("shell");
  });

  it("skips phases whose marker never shows (a quiet kernel hides Run /init)", () => {
    expect(track(["Decompressing Linux", "Booting the kernel", "ringside:~# "])).toEqual([
      "loading", "firmware", "decompress", "kernel", "shell",
    ]);
  });
});

describe("boot phase tracker with two outputs", () => {
  it("keeps the serial and console streams apart, so a marker cannot be glued from both", () => {
    const seen: BootPhase[] = [];
    const tracker = new BootPhaseTracker((p) => seen.push(p));
    tracker.feed("Decompr", "serial");
    tracker.feed("essing Linux", "console");
    expect(seen).toEqual([]);
    tracker.feed("essing Linux... Booting the kernel", "serial");
    tracker.feed("\r\nringside:~# ", "console");
    expect(seen).toEqual(["decompress", "kernel", "shell"]);
  });
});
