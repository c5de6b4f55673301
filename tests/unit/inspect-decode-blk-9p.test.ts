// The inspector's virtio-blk and 9P decoders on requests and messages built by hand,
// including headers cut short and size fields that lie.
import { describe, expect, it } from "vitest";
import { decodeBlkRequest } from "../../src/inspect/decode/blk-request.js";
import { ByteReader } from "../../src/inspect/decode/bytes.js";
import type { ChainBytes } from "../../src/inspect/decode/chain-bytes.js";
import type { LayerDraft } from "../../src/inspect/decode/layer.js";
import { decodeNinepMessage, messageName } from "../../src/inspect/decode/ninep-message.js";

const field = (layer: LayerDraft | undefined, name: string) => layer?.fields.find((f) => f.name === name)?.value;

function blk(readable: Uint8Array, writableTotal: number, lastWritable?: number): ChainBytes {
  const c: ChainBytes = {
    readable: new ByteReader(readable), writable: new ByteReader(new Uint8Array(0), 0, "writable"), writableTotal, stale: lastWritable === undefined,
    segments: { readable: [], writable: [] }, staleDescriptors: [],
  };
  if (lastWritable !== undefined) c.lastWritable = lastWritable;
  return c;
}

function header(type: number, sector: bigint, extra: number[] = []): Uint8Array {
  const v = new DataView(new ArrayBuffer(16 + extra.length));
  v.setUint32(0, type, true);
  v.setBigUint64(8, sector, true);
  extra.forEach((b, i) => v.setUint8(16 + i, b));
  return new Uint8Array(v.buffer);
}

/** A 9P message: size[4] type[1] tag[2] then `body`, with the size field `size` (the true one by default). */
function message(type: number, tag: number, body: number[], size = 7 + body.length): Uint8Array {
  const v = new DataView(new ArrayBuffer(7 + body.length));
  v.setUint32(0, size, true);
  v.setUint8(4, type);
  v.setUint16(5, tag, true);
  body.forEach((b, i) => v.setUint8(7 + i, b));
  return new Uint8Array(v.buffer);
}
const le = (n: number, bytes: number) => Array.from({ length: bytes }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));
const str = (s: string) => [...le(s.length, 2), ...new TextEncoder().encode(s)];

describe("virtio-blk request decoder", () => {
  it("names the type, the sector and its byte offset, the data size and the status", () => {
    // A write whose 512 data bytes follow the header in the readable buffers.
    const [req, status] = decodeBlkRequest(blk(header(1, 2048n, new Array(512).fill(0)), 1, 0));
    expect(field(req, "type")).toBe("1 OUT");
    expect(field(req, "sector")).toBe("2048");
    expect(field(req, "byte offset")).toBe("1048576 (1024 KiB)");
    expect(field(req, "data")).toBe("512 bytes = 1 sector");
    expect(field(status, "status")).toBe("0 OK");
    expect(status).toMatchObject({ side: "writable", start: 0, length: 1 });
  });

  it("counts data from both sides and reads the status byte in the last writable byte", () => {
    const layers = decodeBlkRequest(blk(header(0, 8n), 4097, 2));
    expect(field(layers[0], "type")).toBe("0 IN");
    expect(field(layers[0], "data")).toBe("4096 (4 KiB) bytes = 8 sectors");
    expect(field(layers[1], "status")).toBe("2 UNSUPP");
    expect(layers[1]!.start).toBe(4096);
    expect(field(decodeBlkRequest(blk(header(0, 8n), 1))[1], "status")).toBe("not written yet");
  });

  it("shows a discard's first segment, and unknown types as numbers", () => {
    const segment = [...le(100, 8), ...le(16, 4), 0, 0, 0, 0];
    expect(field(decodeBlkRequest(blk(header(11, 0n, segment), 1, 0))[0], "first segment")).toBe("sector 100, 16 sectors");
    expect(field(decodeBlkRequest(blk(header(99, 0n), 1, 0))[0], "type")).toBe("99 (unknown)");
  });

  it("says truncated for a header shorter than 16 bytes", () => {
    const [req] = decodeBlkRequest(blk(header(0, 8n).subarray(0, 10), 1, 0));
    expect(field(req, "type")).toBe("0 IN");
    expect(req!.problem).toMatch(/^truncated: sector/);
  });
});

describe("9P message decoder", () => {
  it("names message types and their replies", () => {
    expect(messageName(110)).toBe("Twalk");
    expect(messageName(111)).toBe("Rwalk");
    expect(messageName(7)).toBe("Rlerror");
    expect(messageName(113)).toBeUndefined();
  });

  it("decodes a Twalk with its names and a Tread's offset and count", () => {
    const walk = decodeNinepMessage(new ByteReader(message(110, 3, [...le(1, 4), ...le(2, 4), ...le(2, 2), ...str("etc"), ...str("hostname")])));
    expect(walk.name).toBe("9P Twalk");
    expect(walk.problem).toBeUndefined();
    expect(field(walk, "tag")).toBe("3");
    expect(field(walk, "newfid")).toBe("2");
    expect(field(walk, "wname[0]")).toBe('"etc"');
    expect(field(walk, "wname[1]")).toBe('"hostname"');
    const read = decodeNinepMessage(new ByteReader(message(116, 9, [...le(7, 4), ...le(8192, 8), ...le(4096, 4)])));
    expect([field(read, "fid"), field(read, "offset"), field(read, "count")]).toEqual(["7", "8192", "4096"]);
    const version = decodeNinepMessage(new ByteReader(message(100, 0xffff, [...le(512 * 1024, 4), ...str("9P2000.L")])));
    expect(field(version, "tag")).toBe("0xffff (NOTAG)");
    expect(field(version, "version")).toBe('"9P2000.L"');
  });

  it("says malformed when the size field or a string length lies", () => {
    const lying = decodeNinepMessage(new ByteReader(message(120, 1, le(5, 4), 4000)));
    expect(lying.problem).toMatch(/malformed: size 4000, but the buffers hold 11 bytes/);
    expect(decodeNinepMessage(new ByteReader(message(120, 1, [], 3))).problem).toMatch(/malformed: size 3/);
    const longName = decodeNinepMessage(new ByteReader(message(110, 3, [...le(1, 4), ...le(2, 4), ...le(1, 2), ...le(60000, 2), 0x61])));
    expect(longName.problem).toMatch(/malformed: wname runs past the \d+-byte message/);
    expect(decodeNinepMessage(new ByteReader(new Uint8Array([1, 0]))).problem).toMatch(/^truncated: size/);
  });

  it("cuts a long string it shows, and says truncated when the copy ends inside the message", () => {
    const name = "x".repeat(300);
    const bytes = message(72, 5, [...le(1, 4), ...str(name), ...le(0o755, 4), ...le(0, 4)]);
    const full = decodeNinepMessage(new ByteReader(bytes));
    expect(full.name).toBe("9P Tmkdir");
    expect(field(full, "name")).toBe(`"${"x".repeat(64)}"…`);
    expect(field(full, "mode")).toBe("0755");
    const cut = decodeNinepMessage(new ByteReader(bytes.subarray(0, 100), bytes.length));
    expect(cut.problem).toMatch(/^truncated: .*inspector reads only the first 100 bytes/);
  });
});
