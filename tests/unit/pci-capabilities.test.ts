import { describe, expect, it } from "vitest";
import { PciFunction } from "../../src/pci/pci-function.js";
import type { Capability } from "../../src/pci/capabilities.js";

/** Follows the list from the capabilities pointer the way an OS does: [offset, id] pairs. */
function walk(fn: PciFunction): [number, number][] {
  const seen: [number, number][] = [];
  let at = fn.configRead(0x34, 1) & 0xfc;
  while (at !== 0 && seen.length < 48) {
    seen.push([at, fn.configRead(at, 1)]);
    at = fn.configRead(at + 1, 1) & 0xfc;
  }
  return seen;
}

describe("capability list", () => {
  it("chains capabilities from 0x34, dword-aligned, and sets status bit 4", () => {
    const fn = new PciFunction({
      vendorId: 0x1af4, deviceId: 0x1041, classCode: 0x020000,
      capabilities: [
        { id: 0x09, body: [14, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, // 16 bytes
        { id: 0x09, body: [3] }, // 3 bytes
        { id: 0x01, body: [0x03, 0x00, 0x00, 0x00, 0x00, 0x00] }, // power management, 8 bytes
      ],
    });
    expect(walk(fn)).toEqual([[0x40, 0x09], [0x50, 0x09], [0x54, 0x01]]);
    expect(fn.configRead(0x06, 2) & 0x10).toBe(0x10);
    expect(fn.configRead(0x42, 1)).toBe(14);
    expect(fn.capabilities.map((c) => [c.offset, c.length])).toEqual([[0x40, 16], [0x50, 3], [0x54, 8]]);
  });

  it("has no list, and status bit 4 clear, without capabilities", () => {
    const fn = new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0 });
    expect(fn.configRead(0x34, 1)).toBe(0);
    expect(fn.configRead(0x06, 2) & 0x10).toBe(0);
    expect(walk(fn)).toEqual([]);
  });

  it("keeps ID and next pointer read-only, and body bytes writable only where masked", () => {
    const fn = new PciFunction({
      vendorId: 1, deviceId: 2, classCode: 0,
      capabilities: [{ id: 0x09, body: [6, 0xaa, 0xbb, 0xcc], writableMask: [0, 0xff, 0x0f] }],
    });
    fn.configWrite(0x40, 4, 0x12345678);
    expect(fn.configRead(0x40, 4)).toBe(0x12060009); // ID, next and body[0] kept; body[1] written
    fn.configWrite(0x44, 2, 0xffff);
    expect(fn.configRead(0x44, 2)).toBe(0xccbf); // body[2]: low nibble only; body[3]: read-only
  });

  it("lets a capability react to writes and fill bytes before reads (like virtio's PCI-config access)", () => {
    const window = new Uint8Array(16).map((_, i) => 0x80 + i);
    const events: string[] = [];
    const fn = new PciFunction({
      vendorId: 0x1af4, deviceId: 0x1041, classCode: 0,
      capabilities: [
        { id: 0x01, body: [0, 0] },
        {
          // body: offset into `window` (writable), then a 4-byte data register
          id: 0x09, body: [0, 0, 0, 0, 0], writableMask: [0x0f, 0, 0, 0, 0],
          onWrite(_cap: Capability, offset, size, value) {
            events.push(`write @${offset}/${size}=${value.toString(16)}`);
          },
          onRead(cap: Capability, offset, size) {
            events.push(`read @${offset}/${size}`);
            if (offset <= 3 && offset + size > 3) cap.set(3, 4, new DataView(window.buffer).getUint32(cap.read(2, 1), true));
          },
        },
      ],
    });
    const cap = fn.capabilities[1]!;
    expect(cap.offset).toBe(0x44);
    fn.configWrite(cap.offset + 2, 1, 4);
    expect(fn.configRead(cap.offset + 3, 4)).toBe(0x87868584);
    expect(events).toEqual(["write @2/1=4", "read @3/4"]);
    fn.configRead(0x40, 4); // another capability: no hook of this one runs
    expect(events).toHaveLength(2);
    expect(() => cap.set(0, 1, 0)).toThrow(RangeError); // the header is not the device's to change
  });

  it("refuses capabilities that do not fit in configuration space", () => {
    expect(() => new PciFunction({ vendorId: 1, deviceId: 2, classCode: 0, capabilities: [{ id: 9, body: new Array(200).fill(0) }] })).toThrow(
      /capabilities need more/,
    );
  });
});
