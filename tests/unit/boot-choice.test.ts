// The Boot panel's kept choice and its words: the note in localStorage reads back exactly and
// anything else is refused with the reason; kept files have names no share link can open as
// a disk; which addresses the page fetches from (https, or http to this computer only); the
// header's and the panel's words; the Disk panel's hint for another userspace.
import { describe, expect, it } from "vitest";
import { bootOfChoice, imageLabel, keptFileName, KEPT_FILE_NAME, readBootChoice, type BootChoice } from "../../src/page/boot-choice.js";
import { bootHeadline, factsWords, shortVersion } from "../../src/page/boot-words.js";
import { diskHint } from "../../src/page/disk-panel.js";
import { imageUrlProblem } from "../../src/share/image-url.js";
import { LINK_DISK_NAME } from "../../src/share/link-machine.js";

const SHA = "a".repeat(64);
const CHOICE: BootChoice = {
  kernel: { kind: "kept", opfsName: "ringside-boot.kernel.0123abcd.img", fileName: "bzImage", bytes: 2_343_424, sha256: SHA, version: "6.1.192 (ringside@ringside) #1 @1757116800" },
  initrd: { kind: "url", url: "https://example.com/initrd.img", bytes: 6_105_600, sha256: SHA, format: "cpio" },
  cmdline: "console=ttyS0 loglevel=3",
};

describe("the kept boot choice", () => {
  it("reads back what was written, and boots it from this browser's storage and the address", () => {
    expect(readBootChoice(JSON.stringify(CHOICE))).toEqual(CHOICE);
    expect(bootOfChoice(CHOICE)).toEqual({ kind: "kernel", kernel: { kind: "opfs", name: "ringside-boot.kernel.0123abcd.img" }, initrd: { kind: "url", url: "https://example.com/initrd.img" } });
    const { initrd: _, ...kernelOnly } = CHOICE;
    expect(bootOfChoice(readBootChoice(JSON.stringify(kernelOnly)))).toEqual({ kind: "kernel", kernel: { kind: "opfs", name: "ringside-boot.kernel.0123abcd.img" } });
    expect([imageLabel(CHOICE.kernel), imageLabel(CHOICE.initrd!)]).toEqual(["bzImage", "https://example.com/initrd.img"]);
  });

  it("refuses a note that does not read, saying why (and the bundled images boot)", () => {
    const bad = (value: unknown) => () => readBootChoice(typeof value === "string" ? value : JSON.stringify(value));
    expect(bad("{")).toThrow(/the kept boot choice cannot be read \(it is not JSON\): the bundled images boot instead/);
    expect(bad({ ...CHOICE, cmdline: "a\nb" })).toThrow(/cmdline is not one line/);
    expect(bad({ ...CHOICE, kernel: { ...CHOICE.kernel, opfsName: "ringside-disk.img" } })).toThrow(/kernel\.opfsName is not a kept kernel's name/);
    expect(bad({ ...CHOICE, kernel: { ...CHOICE.kernel, opfsName: "ringside-boot.initrd.0123abcd.img" } })).toThrow(/kernel\.opfsName/);
    expect(bad({ ...CHOICE, initrd: { ...CHOICE.initrd, url: "http://example.com/i" } })).toThrow(/initrd\.url must be https:\/\//);
    expect(bad({ ...CHOICE, kernel: { ...CHOICE.kernel, sha256: "x" } })).toThrow(/kernel\.sha256 is not a sha256/);
    expect(bad({ ...CHOICE, kernel: { ...CHOICE.kernel, kind: "file" } })).toThrow(/kernel\.kind is neither "kept" nor "url"/);
    expect(bad({ ...CHOICE, kernel: { ...CHOICE.kernel, bytes: -1 } })).toThrow(/kernel\.bytes is not a size/);
  });

  it("keeps files under names a share link cannot use as a disk", () => {
    for (const role of ["kernel", "initrd"] as const) {
      const name = keptFileName(role, "deadbeef");
      expect(name).toBe(`ringside-boot.${role}.deadbeef.img`);
      expect(KEPT_FILE_NAME.test(name)).toBe(true);
      expect(LINK_DISK_NAME.test(name)).toBe(false);
    }
    expect(() => keptFileName("kernel", "../x")).toThrow(/not a name for a kept boot file/);
  });
});

describe("addresses the page fetches a kernel or an initrd from", () => {
  it("takes https anywhere and plain http only to this computer, without credentials", () => {
    for (const ok of ["https://example.com/bzImage", "HTTPS://EXAMPLE.COM/K", "http://127.0.0.1:8080/k", "http://127.1.2.3/k", "http://localhost/k", "http://a.localhost:1/k", "http://[::1]:9/k"]) {
      expect(imageUrlProblem(ok), ok).toBeUndefined();
    }
    expect(imageUrlProblem("http://example.com/k")).toBe("https:// (plain http:// only for this computer: 127.0.0.1, [::1] or localhost)");
    expect(imageUrlProblem("http://10.0.0.1/k")).toMatch(/^https:\/\//);
    expect(imageUrlProblem("https://u:p@example.com/k")).toBe("an address without a user name or password");
    expect(imageUrlProblem("ftp://example.com/k")).toBe("an https:// address, not ftp:");
    expect(imageUrlProblem("bzImage")).toBe("an absolute https:// address");
    expect(imageUrlProblem(`https://example.com/${"a".repeat(2048)}`)).toBe("at most 2048 characters long");
  });
});

describe("the words for what boots", () => {
  const bundled = { source: "bundled" as const, name: "bzImage", bytes: 1, version: "6.1.192 (ringside@ringside) #1" };
  it("names the kernel by its version and where it came from", () => {
    expect(shortVersion("6.1.192 (ringside@ringside) #1")).toBe("6.1.192");
    expect(bootHeadline("yours", undefined, {})).toBe("the bundled kernel");
    expect(bootHeadline("yours", undefined, { kernel: "bzImage" })).toBe("your kernel from bzImage");
    expect(bootHeadline("yours", { kernel: bundled, initrd: { source: "bundled", name: "initrd.img", bytes: 1 } }, {})).toBe("the bundled kernel 6.1.192");
    const opfs = { ...bundled, source: "opfs" as const, name: "ringside-boot.kernel.00000000.img" };
    expect(bootHeadline("yours", { kernel: opfs }, { kernel: "bzImage" })).toBe("your kernel 6.1.192 from bzImage, no initrd");
    expect(bootHeadline("link", { kernel: { ...bundled, source: "url", name: "https://k/b" }, initrd: { source: "bundled", name: "initrd.img", bytes: 1 } }, {})).toBe("the link's kernel 6.1.192 from https://k/b, the bundled initrd");
    expect(bootHeadline("link", { kernel: bundled, initrd: { source: "url", name: "https://k/i", bytes: 1 } }, {})).toBe("the bundled kernel 6.1.192, the link's initrd https://k/i");
    expect(bootHeadline("yours", {}, {})).toBe("no kernel: the firmware boots the first disk");
  });

  it("gives a file's size, version or format, and whole sha256", () => {
    expect(factsWords({ bytes: 2_343_424, version: "6.1.192 (x) #1", sha256: SHA })).toBe(`2.2 MiB, Linux 6.1.192, sha256 ${SHA}`);
    expect(factsWords({ bytes: 512, format: "zstd" })).toBe("512 B, zstd archive");
  });

  it("does not promise /mnt to a userspace that is not ringside's", () => {
    expect(diskHint(true)).toBe("(/dev/vda at /mnt, kept in this browser; drop an image here to import it)");
    expect(diskHint(false)).toBe("(/dev/vda, mounted at /mnt by ringside's userspace only, kept in this browser; drop an image here to import it)");
  });

  it("says an imported image with a partition table is booted, not mounted, and one with no filesystem is left alone", () => {
    expect(diskHint(true, "ext")).toBe("(/dev/vda at /mnt, kept in this browser; drop an image here to import it)");
    expect(diskHint(true, "partitioned")).toContain("not mounted at /mnt: boot it with ?boot=disk");
    expect(diskHint(true, "none")).toContain("no ext2/3/4 filesystem, so it is not mounted at /mnt");
    expect(diskHint(false, "ext")).toContain("by ringside's userspace only");
  });
});
