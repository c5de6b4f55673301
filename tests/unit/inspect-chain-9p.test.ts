// A 9P chain through the real virtio-9p device and 9P server, as the inspector decodes it:
// the Tversion while it waits (its reply room stale), then the Rversion the server wrote.
import { describe, expect, it } from "vitest";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { Virtio9p } from "../../src/devices/virtio-9p.js";
import { Inspector } from "../../src/inspect/inspector.js";
import type { ChainView } from "../../src/inspect/types.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

function tversion(msize: number): Uint8Array {
  const version = new TextEncoder().encode("9P2000.L");
  const m = new Uint8Array(7 + 6 + version.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, m.length, true);
  m[4] = 100;
  v.setUint16(5, 0xffff, true);
  v.setUint32(7, msize, true);
  v.setUint16(11, version.length, true);
  m.set(version, 13);
  return m;
}

const field = (view: ChainView, layer: string, name: string) => view.decoded?.find((l) => l.name === layer)?.fields.find((f) => f.name === name)?.value;

describe("a 9P chain in the inspector", () => {
  it("shows the Tversion while it waits and the Rversion once served", () => {
    const driver = new MockDriver(1 << 20);
    const ticks = new ManualPollSource();
    const model = new VirtioDeviceModel(new Virtio9p(new NinepServer(new MemoryFs()), "host", ticks, 8), driver.memory, testModelOptions({ ticks }));
    const [q] = bringUp(model, driver);
    q!.add([{ read: tversion(65536) }, { write: 256 }]);
    const inspector = new Inspector({ functions: () => [] }, driver.memory, [{ devfn: 6 << 3, model }]);
    const waiting = inspector.describeChain("00:06.0", 0, 0);
    expect(waiting.decoded?.map((l) => l.name)).toEqual(["9P Tversion"]);
    expect(field(waiting, "9P Tversion", "msize")).toBe("65536");
    expect(field(waiting, "9P Tversion", "version")).toBe('"9P2000.L"');
    expect(waiting.decodeNote).toMatch(/reply buffers are not written yet/);
    expect(waiting.descriptors.map((d) => d.stale === true)).toEqual([false, true]);

    model.notify(0);
    const served = inspector.describeChain("00:06.0", 0, 0);
    expect(served.decoded?.map((l) => l.name)).toEqual(["9P Tversion", "9P Rversion"]);
    expect(field(served, "9P Rversion", "msize")).toBe("65536");
    expect(field(served, "9P Rversion", "tag")).toBe("0xffff (NOTAG)");
    // The reply starts in the writable buffer (descriptor 1) and is as long as the device wrote.
    expect(served.decoded?.[1]).toMatchObject({ descriptor: 1, offset: 0, length: served.written });
  });
});
