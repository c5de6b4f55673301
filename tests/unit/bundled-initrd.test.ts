// The bundled initrd's two archives: a machine without a disk gets the first alone (no
// e2fsprogs archive), a machine with one gets the file as it is, and anything that is not
// two readable archives goes through untouched for the checks to judge.
import { describe, expect, it } from "vitest";
import { bundledInitrdFor } from "../../src/machine/bundled-initrd.js";
import { walkCpioArchive } from "../../src/machine/cpio-walk.js";
import { concatBytes } from "../../src/util/concat-bytes.js";
import { describeMachine } from "../../src/node/describe-machine.js";
import { loadImages } from "../../src/node/node-images.js";

const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

/** A newc entry: header, name with its NUL, padding, data, padding. */
function entry(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array<ArrayBuffer> {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const fields = [1, 0o100644, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
  const head = new TextEncoder().encode(`070701${fields.map(hex).join("")}${name}\0`);
  const padded = (n: number) => (n + 3) & ~3;
  const out = new Uint8Array(padded(head.length) + padded(data.length));
  out.set(head);
  out.set(data, padded(head.length));
  return out;
}

function archive(...entries: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatBytes([...entries, entry("TRAILER!!!")]);
}

describe("the bundled initrd for a machine", () => {
  it("gives a machine without a disk the first archive, which holds no e2fsprogs archive", async () => {
    const { initrd } = await loadImages();
    const diskless = describeMachine({});
    const first = new Uint8Array(bundledInitrdFor(initrd, diskless.devices));
    expect(first.length).toBeLessThan(initrd.byteLength - 1_000_000);
    expect(latin1(first)).toContain("TRAILER!!!");
    // Entry names end with a NUL (the wrapper script's text names the archive too).
    expect(latin1(first)).toContain("usr/sbin/e2fsprogs\0");
    expect(latin1(first)).not.toContain("usr/lib/e2fsprogs.tar.xz\0");
    // What is left is a whole archive of its own, with the archive in it.
    const rest = new Uint8Array(initrd).subarray(first.length);
    const second = walkCpioArchive(rest.subarray(rest.findIndex((b) => b !== 0)));
    expect(second).toHaveProperty("end");
    expect(latin1(rest)).toContain("usr/lib/e2fsprogs.tar.xz\0");
  });

  it("gives a machine with a virtio-blk disk the whole file", async () => {
    const { initrd } = await loadImages();
    const withDisk = describeMachine({ disk: { sectorCount: 2048, readOnly: false } });
    expect(bundledInitrdFor(initrd, withDisk.devices)).toBe(initrd);
  });

  it("passes a single archive, a broken one and a compressed one through as they are", () => {
    const devices = describeMachine({}).devices;
    const single = archive(entry("a", new Uint8Array([1, 2, 3])));
    expect(walkCpioArchive(single)).toEqual({ end: single.length });
    expect(bundledInitrdFor(single.buffer, devices)).toBe(single.buffer);
    const truncated = single.slice(0, 60).buffer;
    expect(bundledInitrdFor(truncated, devices)).toBe(truncated);
    const gzip = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]).buffer;
    expect(bundledInitrdFor(gzip, devices)).toBe(gzip);
  });

  it("cuts two archives at the first one's trailer", () => {
    const first = archive(entry("x", new Uint8Array(5)));
    const second = archive(entry("y", new Uint8Array(9)));
    const both = new Uint8Array(first.length + 512 + second.length);
    both.set(first);
    both.set(second, first.length + 512);
    const cut = new Uint8Array(bundledInitrdFor(both.buffer, describeMachine({}).devices));
    expect(cut).toEqual(first);
  });
});
