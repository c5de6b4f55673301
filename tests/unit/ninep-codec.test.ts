// Malformed 9P messages: every one gets a well-formed Rlerror with the documented errno
// (src/backends/9p/ninep-decode.ts), the tag echoed when there is one, and changes nothing.
import { describe, expect, it } from "vitest";
import { checkFrame, RLERROR, T } from "../support/ninep-client.js";
import { mounted, ok, ROOT_FID } from "../support/ninep-setup.js";
import { frame, message, type Field } from "../support/ninep-wire-test.js";

const EINVAL = 22, EPROTO = 71, EOPNOTSUPP = 95;

function rlerror(reply: Uint8Array | Promise<Uint8Array>, tag: number): number {
  if (reply instanceof Promise) throw new Error("asynchronous reply");
  const r = checkFrame(reply, 0, tag);
  if (r.ok) throw new Error("expected Rlerror");
  return r.errno;
}

describe("9P codec", () => {
  it("a message under 7 bytes: Rlerror EPROTO with tag NOTAG", () => {
    const { server } = mounted();
    for (let n = 0; n < 7; n++) {
      const reply = server.handle(new Uint8Array(n).fill(0x41));
      if (reply instanceof Promise) throw new Error("async");
      expect(frame(reply)).toEqual({ type: RLERROR, tag: 0xffff });
    }
  });

  it("a size field that is not the length, or a message over msize: EPROTO", () => {
    const { server } = mounted({ msize: 8192 });
    const m = message(T.getattr, 9, [["u32", ROOT_FID], ["u64", 0x7ff]]);
    new DataView(m.buffer).setUint32(0, m.length + 1, true);
    expect(rlerror(server.handle(m), 9)).toBe(EPROTO);
    const padded = new Uint8Array(m.length + 3);
    padded.set(message(T.getattr, 9, [["u32", ROOT_FID], ["u64", 0x7ff]]));
    expect(rlerror(server.handle(padded), 9)).toBe(EPROTO);
    const big = message(T.write, 4, [["u32", ROOT_FID], ["u64", 0], ["u32", 9000], ["raw", new Uint8Array(9000)]]);
    expect(rlerror(server.handle(big), 4)).toBe(EPROTO);
  });

  it("types not served (9P2000's Topen, Tstat, R-messages, unknown numbers): EOPNOTSUPP", () => {
    const { server } = mounted();
    for (const type of [112, 114, 124, 126, 101, 7, 0, 255, 6]) {
      expect(rlerror(server.handle(message(type, 3, [["u32", 0]])), 3)).toBe(EOPNOTSUPP);
    }
  });

  it("fields that run past the end, or bytes after the last field: EPROTO", () => {
    const { server } = mounted();
    expect(rlerror(server.handle(message(T.getattr, 1, [["u32", ROOT_FID]])), 1)).toBe(EPROTO);
    expect(rlerror(server.handle(message(T.clunk, 1, [["u32", ROOT_FID], ["u8", 0]])), 1)).toBe(EPROTO);
    // A string whose length claims more bytes than the message has.
    expect(rlerror(server.handle(message(T.mkdir, 1, [["u32", ROOT_FID], ["u16", 50], ["raw", new Uint8Array(8)]])), 1)).toBe(EPROTO);
    // Twrite's count larger, or smaller, than its data.
    expect(rlerror(server.handle(message(T.write, 1, [["u32", ROOT_FID], ["u64", 0], ["u32", 10], ["raw", new Uint8Array(9)]])), 1)).toBe(EPROTO);
    expect(rlerror(server.handle(message(T.write, 1, [["u32", ROOT_FID], ["u64", 0], ["u32", 8], ["raw", new Uint8Array(9)]])), 1)).toBe(EPROTO);
  });

  it("Twalk of more than 16 names: EINVAL; exactly 16 is served", () => {
    const { c, server } = mounted();
    const names = Array.from({ length: 17 }, () => ["s", ".."] as ["s", string]);
    expect(rlerror(server.handle(message(T.walk, 2, [["u32", ROOT_FID], ["u32", 1], ["u16", 17], ...names])), 2)).toBe(EINVAL);
    expect(rlerror(server.handle(message(T.walk, 2, [["u32", ROOT_FID], ["u32", 1], ["u16", 65535]])), 2)).toBe(EINVAL);
    expect(ok(c.walk(ROOT_FID, 1, Array(16).fill(".."))).qids).toHaveLength(16);
  });

  it("structure is checked before names: a bad name in a truncated message is EPROTO", () => {
    const { server } = mounted();
    expect(rlerror(server.handle(message(T.mkdir, 1, [["u32", ROOT_FID], ["s", "a/b"], ["u32", 0o755]])), 1)).toBe(EPROTO);
    expect(rlerror(server.handle(message(T.mkdir, 1, [["u32", ROOT_FID], ["s", "a/b"], ["u32", 0o755], ["u32", 0]])), 1)).toBe(EINVAL);
  });

  it("Tfsync with or without its datasync field", () => {
    const { server } = mounted();
    const variants: Field[][] = [[["u32", ROOT_FID]], [["u32", ROOT_FID], ["u32", 1]]];
    for (const fields of variants) {
      const reply = server.handle(message(T.fsync, 6, fields));
      if (reply instanceof Promise) throw new Error("async");
      expect(frame(reply)).toEqual({ type: T.fsync + 1, tag: 6 });
    }
  });

  it("u64 fields above 2^53: an offset no file reaches (read gives nothing, write EFBIG)", () => {
    const { c } = mounted();
    ok(c.walk(ROOT_FID, 1, []));
    ok(c.lcreate(1, "f", 2, 0o644));
    expect(ok(c.read(1, 0xffff_ffff_ffff_ffffn, 10)).data.length).toBe(0);
    expect(c.write(1, 0xffff_ffff_ffff_fff0n, "x")).toEqual({ ok: false, errno: 27 });
  });

  it("every tag is echoed, NOTAG included", () => {
    const { server } = mounted();
    for (const tag of [0, 1, 0x7fff, 0xfffe, 0xffff]) {
      const reply = server.handle(message(T.getattr, tag, [["u32", ROOT_FID], ["u64", 0x7ff]]));
      if (reply instanceof Promise) throw new Error("async");
      expect(frame(reply)).toEqual({ type: T.getattr + 1, tag });
    }
  });
});
