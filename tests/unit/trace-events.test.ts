// The timeline as a Chrome/Perfetto trace-event file, and the machine's recorder behind it.
import { describe, expect, it } from "vitest";
import { traceEventJson, type TraceEvent, type TraceEventFile } from "../../src/inspect/trace-events.js";
import { TIMELINE_EVENT as E, type TimelineView } from "../../src/inspect/timeline-types.js";
import { MachineTimeline } from "../../src/machine/machine-timeline.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { RING_TRACE_CAPACITY } from "../../src/virtio/ring-trace.js";
import { EchoDevice } from "../support/echo-device.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

function view(events: [time: number, source: number, kind: number, a: number, b: number][]): TimelineView {
  return {
    recording: true, capacity: 1024, firstSeq: 10, nextSeq: 10 + events.length, dropped: 3,
    queues: [
      { address: "00:05.0", device: "virtio-net", queue: 0, name: "receiveq1" },
      { address: "00:05.0", device: "virtio-net", queue: 1, name: "transmitq1" },
      { address: "mmio@0xd0000000", device: "virtio-blk", queue: 0, name: "requestq" },
    ],
    times: events.map((e) => e[0]), sources: events.map((e) => e[1]), kinds: events.map((e) => e[2]), a: events.map((e) => e[3]), b: events.map((e) => e[4]),
  };
}

const byPh = (file: TraceEventFile, ph: TraceEvent["ph"]) => file.traceEvents.filter((e) => e.ph === ph);

describe("trace-event export", () => {
  const file: TraceEventFile = JSON.parse(new TextDecoder().decode(traceEventJson(view([
    [1.5, 1, E.kick, 0, 0],
    [1.6, 1, E.publish, 4, 2],
    [1.7, 1, E.take, 9, 3],
    [1.8, 0, E.take, 2, 0],
    [2.25, 1, E.return, 9, 0],
    [2.5, 2, E.usedEvent, 7, 5],
    [3, 1, E.interruptMerged, 4, 0],
    [3.5, 0, E.return, 5, 1500], // its take is not in the view
  ]))));

  it("is the JSON Object Format with guest-time microseconds", () => {
    expect(file.displayTimeUnit).toBe("ms");
    expect(file.otherData).toMatchObject({ generator: "ringside", firstSeq: 10, nextSeq: 18, dropped: 3, capacity: 1024 });
    for (const e of file.traceEvents) {
      expect(typeof e.name).toBe("string");
      expect(["M", "i", "b", "e"]).toContain(e.ph);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
      if (e.ph !== "M") expect(typeof e.ts).toBe("number");
    }
    expect(byPh(file, "i").find((e) => e.name === "kick")?.ts).toBe(1500);
  });

  it("names one process per device and one thread per queue", () => {
    const names = byPh(file, "M").filter((e) => e.name.endsWith("_name")).map((e) => `${e.name} ${e.pid}/${e.tid} ${String(e.args?.["name"])}`);
    expect(names).toEqual([
      "process_name 1/0 virtio-net 00:05.0",
      "thread_name 1/1 queue 0 receiveq1",
      "thread_name 1/2 queue 1 transmitq1",
      "process_name 2/0 virtio-blk mmio@0xd0000000",
      "thread_name 2/3 queue 0 requestq",
    ]);
  });

  it("shows a take and its return as one async span, and the rest as instants on the queue's thread", () => {
    const begin = byPh(file, "b");
    const end = byPh(file, "e");
    expect(begin).toHaveLength(1);
    expect(begin[0]).toMatchObject({ name: "transmitq1 buffer", pid: 1, tid: 2, ts: 1700, args: { id: 9, slot: 3 } });
    expect(end[0]).toMatchObject({ name: "transmitq1 buffer", pid: 1, tid: 2, ts: 2250, id: begin[0]!.id, args: { id: 9, written: 0 } });
    expect(begin[0]!.cat).toBe(end[0]!.cat);
    const instants = byPh(file, "i").map((e) => `${e.name} ${e.pid}/${e.tid} ${e.ts} ${JSON.stringify(e.args)}`);
    expect(instants).toEqual([
      'kick 1/2 1500 {}',
      'publish 1/2 1600 {"availIdxOrSlot":4,"buffers":2}',
      'usedEvent 2/3 2500 {"usedEvent":7,"previous":5}',
      'interruptMerged 1/2 3000 {"usedPosition":4}',
      'return 1/1 3500 {"id":5,"written":1500}',
      'take 1/1 1800 {"id":2,"slot":0,"stillHeld":true}',
    ]);
    expect(byPh(file, "i").every((e) => e.s === "t")).toBe(true);
  });
});

describe("the machine's timeline", () => {
  function machine() {
    const driver = new MockDriver(1 << 20);
    const net = new VirtioDeviceModel(new EchoDevice([8, 8]), driver.memory, testModelOptions({ label: "echo #1" }));
    const blk = new VirtioDeviceModel(new EchoDevice([8]), driver.memory, testModelOptions({ label: "echo #2" }));
    let now = 100;
    const timeline = new MachineTimeline([{ devfn: 5 << 3, model: net }, { mmio: { base: 0xd0000000, irq: 5, registers: () => [] } as never, model: blk }], () => (now += 0.25));
    return { timeline, net, driver };
  }

  it("allocates nothing until switched on, then names every queue and records live rings", () => {
    const { timeline, net, driver } = machine();
    expect(timeline.view(0)).toMatchObject({ recording: false, capacity: RING_TRACE_CAPACITY, queues: [], times: [] });
    const [q0] = bringUp(net, driver);
    const status = timeline.setRecording(true);
    expect(status).toMatchObject({ recording: true, firstSeq: 0, nextSeq: 0, times: [] });
    expect(status.queues.map((q) => `${q.address} ${q.device} ${q.queue} ${q.name}`)).toEqual([
      "00:05.0 echo #1 0 q0", "00:05.0 echo #1 1 q1", "mmio@0xd0000000 echo #2 0 q0",
    ]);
    q0!.add([{ read: "x" }, { write: 4 }]);
    net.notify(0);
    const v = timeline.view(0);
    expect(v.sources.every((s) => s === 0)).toBe(true);
    expect(v.kinds[0]).toBe(E.kick);
    expect(v.times[0]).toBe(100.25);
    expect(v.times).toEqual([...v.times].sort((x, y) => x - y));
    const file = JSON.parse(new TextDecoder().decode(timeline.traceFile())) as TraceEventFile;
    expect(byPh(file, "b")).toHaveLength(1);

    expect(timeline.setRecording(false)).toMatchObject({ recording: false, firstSeq: 0, nextSeq: v.nextSeq, times: [] });
    q0!.add([{ read: "y" }, { write: 4 }]);
    net.notify(0);
    expect(timeline.view(0).nextSeq).toBe(v.nextSeq);
    timeline.clear();
    expect(timeline.view(0)).toMatchObject({ firstSeq: v.nextSeq, times: [] });
  });
});
