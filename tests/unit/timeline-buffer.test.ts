// The page's copy of the ring events: batches from the machine go into rows by queue,
// takes pair with returns into held spans, the buffer stays within its capacity, and an
// event's numbers become the ring slot the inspector selects and words the table shows.
import { describe, expect, it } from "vitest";
import { TimelineBuffer } from "../../src/page/timeline-buffer.js";
import { countsText, recentByRow } from "../../src/page/timeline-table.js";
import { eventWords, nearestEvent, placeAt, rowTop, slotOfEvent, styleOf, GEOMETRY } from "../../src/page/timeline-lanes.js";
import { TIMELINE_EVENT as E, TIMELINE_EVENT_NAMES, type TimelineQueue, type TimelineView } from "../../src/worker/api.js";

const RX: TimelineQueue = { address: "00:05.0", device: "virtio-net", queue: 0, name: "receiveq1" };
const TX: TimelineQueue = { address: "00:05.0", device: "virtio-net", queue: 1, name: "transmitq1" };
const BLK: TimelineQueue = { address: "00:06.0", device: "virtio-blk", queue: 0, name: "requests" };

type Ev = [time: number, source: number, kind: number, a?: number, b?: number];

function batch(firstSeq: number, queues: TimelineQueue[], events: Ev[], dropped = 0): TimelineView {
  return {
    recording: true, capacity: 1000, firstSeq, nextSeq: firstSeq + events.length, dropped, queues,
    times: events.map((e) => e[0]), sources: events.map((e) => e[1]), kinds: events.map((e) => e[2]),
    a: events.map((e) => e[3] ?? 0), b: events.map((e) => e[4] ?? 0),
  };
}

describe("the timeline's buffer", () => {
  it("puts events in rows by queue, in device and queue order, whatever a batch numbers them", () => {
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [BLK, TX], [[1, 1, E.kick], [1.5, 0, E.kick]]));
    expect(buf.rows.map((r) => r.label)).toEqual(["virtio-net · transmitq1", "virtio-blk · requests"]);
    // The receive queue starts late: it goes first, and the rows after it are renumbered.
    buf.append(batch(2, [RX, BLK, TX], [[2, 0, E.take, 7, 3], [3, 2, E.return, 9, 0], [4, 0, E.return, 7, 1514]]));
    expect(buf.rows.map((r) => r.label)).toEqual(["virtio-net · receiveq1", "virtio-net · transmitq1", "virtio-blk · requests"]);
    expect(buf.length).toBe(5);
    expect([0, 1, 2, 3, 4].map(buf.row)).toEqual([1, 2, 0, 1, 0]);
    expect(buf.nextSeq).toBe(5);
    expect(buf.findRow("00:05.0", 1)).toBe(1);
    expect(buf.origin).toBe(1);
    expect(buf.span(0)).toEqual([2, 4, 0, 7, 3]);
    const counts = buf.countsByRow();
    expect(counts[0]![E.take]).toBe(1);
    expect(counts[0]![E.return]).toBe(1);
    expect(counts[1]![E.kick]).toBe(1);
    expect(counts[1]![E.return]).toBe(1);
  });

  it("skips events it already has, and starts afresh when the machine's numbering goes back", () => {
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [RX], [[1, 0, E.kick], [2, 0, E.kick]]));
    buf.append(batch(1, [RX], [[2, 0, E.kick], [3, 0, E.kick]]));
    expect(buf.length).toBe(3);
    buf.append(batch(0, [RX], [[50, 0, E.publish, 4, 2]]));
    expect(buf.length).toBe(1);
    expect(buf.time(0)).toBe(50);
    expect(buf.origin).toBe(50);
  });

  it("pairs each take with the return of the same head into a held span, and keeps the unreturned open", () => {
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [BLK], [[1, 0, E.take, 5, 10], [2, 0, E.take, 6, 11], [4, 0, E.return, 5, 512], [9, 0, E.return, 99, 0]]));
    expect(buf.spanCount).toBe(1);
    expect(buf.span(0)).toEqual([1, 4, 0, 5, 10]);
    expect(buf.openSpans(0)).toEqual([[2, 11, 6]]);
    expect(buf.spanIndexAt(3)).toBe(0);
    expect(buf.spanIndexAt(5)).toBe(1);
  });

  it("keeps only its newest events, in time order, however many arrive", () => {
    const buf = new TimelineBuffer(50);
    for (let k = 0; k < 20; k++) {
      buf.append(batch(k * 30, [RX], Array.from({ length: 30 }, (_, i): Ev => [k * 30 + i, 0, E.take, k * 30 + i, i])));
    }
    expect(buf.length).toBe(50);
    expect(buf.first).toBe(550);
    expect(buf.last).toBe(599);
    expect(buf.dropped).toBe(550);
    expect(buf.indexAt(575)).toBe(25);
    expect(buf.indexAt(10_000)).toBe(50);
    for (let i = 1; i < buf.length; i++) expect(buf.time(i)).toBeGreaterThan(buf.time(i - 1));
  });
});

describe("the timeline's lanes and words", () => {
  it("gives every kind a lane, a glyph, a colour and words", () => {
    for (let k = 0; k < TIMELINE_EVENT_NAMES.length; k++) {
      const s = styleOf(k);
      expect(s?.words.length).toBeGreaterThan(3);
      expect(s?.colour).toMatch(/^--tl-/);
    }
    expect(styleOf(99)).toBeUndefined();
    expect(styleOf(E.kickSuppressed)?.words).toBe("kick suppressed");
  });

  it("finds the row and lane under a point, and the event nearest the pointer in that row", () => {
    expect(placeAt(5, 2)).toBeUndefined();
    expect(placeAt(rowTop(1) + GEOMETRY.title + 2 * GEOMETRY.lane + 2, 2)).toEqual({ row: 1, lane: "device", half: "upper" });
    expect(placeAt(rowTop(1) + GEOMETRY.title + 3 * GEOMETRY.lane - 2, 2)).toEqual({ row: 1, lane: "device", half: "lower" });
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [RX, TX], [[10, 0, E.kick], [10.2, 0, E.take, 3, 4], [10.5, 1, E.take, 8, 9], [20, 0, E.return, 3, 60]]));
    const w = { start: 0, span: 40 };
    // 800 px for 40 ms: 20 px per ms. At 10.1 ms, in the device lane, the take wins over the kick.
    expect(nearestEvent(buf, w, 800, 0, 202, "device")).toBe(1);
    expect(nearestEvent(buf, w, 800, 0, 200, "kick")).toBe(0);
    expect(nearestEvent(buf, w, 800, 1, 210, "device")).toBe(2);
    expect(nearestEvent(buf, w, 800, 0, 300, "device")).toBeUndefined();
  });

  it("picks a take or a return at the same instant by the half of the device lane the pointer is in", () => {
    const buf = new TimelineBuffer(100);
    // Taken and returned in one doorbell: the same time, either order in the buffer.
    buf.append(batch(0, [TX], [[10, 0, E.return, 3, 60], [10, 0, E.take, 3, 4], [20, 0, E.take, 5, 6], [20, 0, E.return, 5, 60], [30, 0, E.take, 7, 8], [30.1, 0, E.return, 7, 60]]));
    const w = { start: 0, span: 40 };
    expect(nearestEvent(buf, w, 800, 0, 200, "device", "upper")).toBe(1);
    expect(nearestEvent(buf, w, 800, 0, 200, "device", "lower")).toBe(0);
    expect(nearestEvent(buf, w, 800, 0, 400, "device", "upper")).toBe(2);
    expect(nearestEvent(buf, w, 800, 0, 400, "device", "lower")).toBe(3);
    // Nearer in time still wins over the half: the return 2 px away against 0.5 px of preference.
    expect(nearestEvent(buf, w, 800, 0, 600, "device", "lower")).toBe(4);
    expect(nearestEvent(buf, w, 800, 0, 602, "device", "upper")).toBe(5);
  });

  it("turns takes, returns and publishes into the ring slot the ring picture selects", () => {
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [RX, TX], [[1, 0, E.take, 3, 4], [2, 1, E.take, 3, 7], [3, 0, E.return, 3, 60], [4, 0, E.publish, 2, 3], [5, 0, E.kick]]));
    expect(slotOfEvent(buf, 0, undefined)).toBe(4);
    expect(slotOfEvent(buf, 2, undefined)).toBe(4);
    // Split: avail idx 2 after 3 new buffers: they went into slots 65535, 0, 1 of a 256-slot ring.
    expect(slotOfEvent(buf, 3, { size: 256, layout: "split" })).toBe(255);
    expect(slotOfEvent(buf, 3, { size: 256, layout: "packed" })).toBe(2);
    expect(slotOfEvent(buf, 3, undefined)).toBeUndefined();
    expect(slotOfEvent(buf, 4, undefined)).toBeUndefined();
  });

  it("puts an event's numbers into words", () => {
    expect(eventWords(E.take, 12, 40, "split")).toBe("device took: head 12 from slot 40");
    expect(eventWords(E.take, 12, 40, "packed")).toBe("device took: buffer ID 12 from slot 40");
    expect(eventWords(E.return, 12, 1514)).toBe("device returned: head 12, 1514 bytes written");
    expect(eventWords(E.kick, 0, 0)).toBe("kick");
    expect(eventWords(E.publish, 30, 1, "split")).toBe("driver published: 1 new buffer, avail idx 30");
    expect(eventWords(E.usedEvent, 8, 4)).toBe("used_event read: used_event = 8 (was 4)");
  });

  it("lists each row's counts and its last few events, newest last", () => {
    const buf = new TimelineBuffer(100);
    buf.append(batch(0, [RX, TX], [[1, 0, E.kick], [2, 1, E.take, 1, 1], [3, 0, E.take, 2, 2], [4, 0, E.return, 2, 9], [5, 0, E.interrupt, 1]]));
    expect(countsText(buf.countsByRow()[0]!)).toBe("take:1,return:1,kick:1,interrupt:1");
    expect(countsText(buf.countsByRow()[1]!)).toBe("take:1");
    expect(recentByRow(buf, 2)).toEqual([[3, 4], [1]]);
  });
});
