// Tread without extra copies (NinepFs.readInto, the device's lent reply buffer), the open-file
// limit that cache=loose needs lifted, and FsError without a stack. Each test would fail
// against the earlier code: a hole read from a reused buffer would carry its old bytes, the
// 1,025th open would be ENFILE, an FsError would have a stack.
import { describe, expect, it } from "vitest";
import { MemoryBudget } from "../../src/backends/9p/memory-budget.js";
import { CHUNK_BYTES, FileData } from "../../src/backends/9p/memory-file-data.js";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { FsError } from "../../src/backends/9p/ninep-errno.js";
import type { NinepFs } from "../../src/backends/9p/ninep-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { Virtio9p, type NinepService } from "../../src/devices/virtio-9p.js";
import { HOST_DIR_MAX_OPEN } from "../../src/node/host-dir-open.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { hostMounted } from "../support/host-dir-setup.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { NinepClient, T } from "../support/ninep-client.js";
import { errno, mounted, O_RDONLY, O_RDWR, ok, ROOT_FID, walkTo, writeFile } from "../support/ninep-setup.js";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";
import { message } from "../support/ninep-wire-test.js";

const ENFILE = 23;

/** A file with chunks of every kind: full, short (grown only to 100 bytes), missing, and a tail. */
function sparseFile(): FileData {
  const data = new FileData(new MemoryBudget(1 << 30, 100));
  data.write(10, new Uint8Array(CHUNK_BYTES).fill(1));
  data.write(3 * CHUNK_BYTES + 5, new Uint8Array(95).fill(2));
  data.write(5 * CHUNK_BYTES + 7, new Uint8Array([3, 3, 3]));
  return data;
}

/** A server whose filesystem has no readInto: it must answer Tread through read(). */
function withoutReadInto(fs: MemoryFs): NinepFs {
  return new Proxy(fs, { get: (target, key) => (key === "readInto" ? undefined : Reflect.get(target, key, target) as unknown) });
}

describe("Tread into the reply", () => {
  it("FileData.readInto gives read()'s bytes at every offset and length, zeroing what a reused buffer held", () => {
    const data = sparseFile();
    const target = new Uint8Array(3 * CHUNK_BYTES);
    for (const offset of [0, 9, 10, CHUNK_BYTES - 1, CHUNK_BYTES + 9, 3 * CHUNK_BYTES, 3 * CHUNK_BYTES + 90, 5 * CHUNK_BYTES + 8, data.size - 1, data.size, data.size + 5]) {
      for (const count of [0, 1, 100, CHUNK_BYTES, 3 * CHUNK_BYTES]) {
        target.fill(0xee);
        const n = data.readInto(offset, target.subarray(0, count));
        const expected = data.read(offset, count);
        expect(n, `offset ${offset} count ${count}`).toBe(expected.length);
        expect(Buffer.from(target.subarray(0, n)).equals(Buffer.from(expected)), `offset ${offset} count ${count}`).toBe(true);
        // Nothing past what it read is touched.
        expect(target.subarray(n, count + 1).every((b) => b === 0xee)).toBe(true);
      }
    }
  });

  it("a lent buffer becomes the Rread (no allocation), with the same bytes as without one; a too small one is not used", () => {
    const { server, c, fs } = mounted();
    const content = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff);
    writeFile(c, "f", content);
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    const lent = new Uint8Array(65536).fill(0xee);
    const replies: Uint8Array[] = [];
    const lending = new NinepClient({ handle: (m: Uint8Array) => last(replies, server.handle(m, Infinity, lent)) });
    expect(ok(lending.read(1, 5, 15000)).data).toEqual(content.subarray(5, 15005));
    expect(replies[0]!.buffer).toBe(lent.buffer);
    // Reads running past the end and starting at it: the lengths follow the file.
    expect(ok(lending.read(1, 19990, 60000)).data).toEqual(content.subarray(19990));
    expect(ok(lending.read(1, 20000, 100)).data.length).toBe(0);
    const small = new Uint8Array(100);
    const tight = new NinepClient({ handle: (m: Uint8Array) => last(replies, server.handle(m, Infinity, small)) });
    expect(ok(tight.read(1, 0, 1000)).data).toEqual(content.subarray(0, 1000));
    expect(replies.at(-1)!.buffer).not.toBe(small.buffer);
    // The same bytes from a filesystem without readInto (read() and a copy).
    const plain = new NinepServer(withoutReadInto(fs));
    const other = new NinepClient(plain);
    ok(other.version(65536));
    ok(other.attach(ROOT_FID, 1000));
    walkTo(other, 1, "f");
    ok(other.lopen(1, O_RDONLY));
    expect(ok(other.read(1, 5, 15000)).data).toEqual(content.subarray(5, 15005));
  });

  it("a readInto that reports more than it was given, or NaN, still makes a well-formed Rread within the count", () => {
    const fs = new MemoryFs();
    const lying = new Proxy(fs, {
      get: (target, key) => (key === "readInto" ? (_ino: number, offset: number, into: Uint8Array) => (offset === 0 ? into.length + 50 : Number.NaN) : Reflect.get(target, key, target) as unknown),
    });
    const c = new NinepClient(new NinepServer(lying));
    ok(c.version(8192));
    ok(c.attach(ROOT_FID, 0));
    writeFile(c, "f", "abc");
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    expect(ok(c.read(1, 0, 10)).data.length).toBe(10);
    expect(ok(c.read(1, 1, 10)).data.length).toBe(0);
  });

  it("the device lends one buffer to every request and copies each reply out first: two Treads in one kick both arrive whole", () => {
    const fs = new MemoryFs();
    const file = fs.create(fs.root, "f", 0o644, { uid: 0, gid: 0 });
    const content = Uint8Array.from({ length: 200000 }, (_, i) => (i * 13 + (i >> 8)) & 0xff);
    fs.write(file.ino, 0, content);
    const server = new NinepServer(fs);
    const lent: (Uint8Array | undefined)[] = [];
    const service: NinepService = {
      handle: (m, room, buffer) => {
        lent.push(buffer);
        return server.handle(m, room, buffer);
      },
      reset: () => server.reset(),
    };
    const driver = new MockDriver(4 << 20);
    const ticks = new ManualPollSource();
    const device = new Virtio9p(service, "host", ticks, 16);
    const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ interrupt: new RecordingInterrupt([]), ticks }));
    const [queue] = bringUp(model, driver);
    const q = queue!;
    const one = (m: Uint8Array): Uint8Array => {
      q.add([{ read: m }, { write: 8192 }]);
      model.notify(0);
      return q.takeUsed()[0]!.data;
    };
    const c = new NinepClient({ handle: one });
    ok(c.version(131072));
    ok(c.attach(ROOT_FID, 0));
    walkTo(c, 1, "f");
    ok(c.lopen(1, O_RDONLY));
    const tread = (tag: number, offset: number) => message(T.read, tag, [["u32", 1], ["u64", offset], ["u32", 100000]]);
    q.add([{ read: tread(7, 0) }, { write: 100011 }]);
    q.add([{ read: tread(8, 100000) }, { write: 100011 }]);
    model.notify(0);
    const [first, second] = q.takeUsed();
    expect(first!.data.subarray(11)).toEqual(content.subarray(0, 100000));
    expect(second!.data.subarray(11)).toEqual(content.subarray(100000));
    expect(new Set(lent).size).toBe(1);
    // After a reset the old buffer is never lent again (a request in flight may still fill it).
    model.reset();
    const [again] = bringUp(model, driver);
    again!.add([{ read: message(T.version, 0xffff, [["u32", 8192], ["s", "9P2000.L"]]) }, { write: 64 }]);
    model.notify(0);
    expect(lent.at(-1)).toBeInstanceOf(Uint8Array);
    expect(lent.at(-1)).not.toBe(lent[0]);
  });
});

describe("open files", () => {
  it("a memory share keeps 2,500 files open at once (cache=loose keeps one per written file); the limit is logged", () => {
    const { c, server, logs } = mounted({ msize: 8192 });
    for (let fid = 1; fid <= 2500; fid++) {
      ok(c.walk(ROOT_FID, fid, []));
      ok(c.lcreate(fid, `f${fid}`, O_RDWR, 0o644));
    }
    expect(server.stats().openFids).toBe(2500);
    expect(logs.join("\n")).not.toMatch(/ENFILE/);
    const few = mounted({ server: { maxOpen: 2 } });
    writeFile(few.c, "g", "");
    for (let fid = 1; fid <= 3; fid++) walkTo(few.c, fid, "g");
    ok(few.c.lopen(1, O_RDONLY));
    ok(few.c.lopen(2, O_RDONLY));
    expect(errno(few.c.lopen(3, O_RDONLY))).toBe(ENFILE);
    expect(few.logs).toContain("9p: 2 files open: one more refused with ENFILE");
  });

  it("a filesystem's maxOpen lowers the server's; a host share holds more than the old 1,024 but stays bounded", () => {
    const fs = Object.assign(new MemoryFs(), { maxOpen: 2 });
    const logs: string[] = [];
    const c = new NinepClient(new NinepServer(fs, { log: (m) => logs.push(m) }));
    ok(c.version(8192));
    ok(c.attach(ROOT_FID, 0));
    for (let fid = 1; fid <= 3; fid++) ok(c.walk(ROOT_FID, fid, []));
    ok(c.lcreate(1, "a", O_RDWR, 0o644));
    ok(c.lcreate(2, "b", O_RDWR, 0o644));
    expect(errno(c.lcreate(3, "c", O_RDWR, 0o644))).toBe(ENFILE);
    expect(logs).toContain("9p: 2 files open: one more refused with ENFILE");

    const m = hostMounted({ msize: 8192 });
    try {
      expect(m.fs.maxOpen).toBe(HOST_DIR_MAX_OPEN);
      for (let fid = 1; fid <= 1100; fid++) {
        ok(m.c.walk(ROOT_FID, fid, []));
        ok(m.c.lcreate(fid, `f${fid}`, O_RDWR, 0o644));
      }
      expect(m.server.stats().openFids).toBe(1100);
    } finally {
      m.done();
    }
  });
});

describe("FsError", () => {
  it("is an Error by every test (instanceof, message, String) but records no stack", () => {
    const e = new FsError(2);
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(FsError);
    expect(e.errno).toBe(2);
    expect(e.message).toBe("errno 2");
    expect(String(new FsError(28, "full"))).toBe("FsError: full");
    expect(e.stack).toBeUndefined();
    expect(() => new MemoryFs().lookup(1, "nope")).toThrow(/errno 2/);
  });
});

function last(list: Uint8Array[], reply: Uint8Array | Promise<Uint8Array>): Uint8Array {
  if (reply instanceof Promise) throw new Error("a memory share answers synchronously");
  list.push(reply);
  return reply;
}
