import { describe, expect, it } from "vitest";
import { QueueTracer, RING_EVENT, RING_TRACE_CAPACITY, RING_TRACE_VIEW_LIMIT, RingTrace } from "../../src/virtio/ring-trace.js";
import { TIMELINE_EVENT, TIMELINE_EVENT_NAMES } from "../../src/inspect/timeline-types.js";

/** A recorder on a clock that reads 1, 2, 3, ... ms, one tick per event. */
function recorder(): RingTrace {
  let now = 0;
  const trace = new RingTrace(() => ++now);
  trace.addSource({ address: "00:05.0", device: "virtio-net", queue: 0, name: "receiveq1" });
  trace.addSource({ address: "00:05.0", device: "virtio-net", queue: 1, name: "transmitq1" });
  return trace;
}

/** Records `n` events on source 1, event k carrying a = k. */
function fill(trace: RingTrace, n: number, from = 0): void {
  for (let k = from; k < from + n; k++) trace.record(1, RING_EVENT.return, k, k * 2);
}

describe("ring trace recorder", () => {
  it("numbers its events 0 to n-1, each with one name the page can look up by number", () => {
    const numbers = Object.values(RING_EVENT).sort((x, y) => x - y);
    expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(TIMELINE_EVENT_NAMES.map((name) => TIMELINE_EVENT[name])).toEqual(numbers);
  });

  it("hands out events oldest first with their time, source, kind, a and b", () => {
    const trace = recorder();
    trace.record(0, RING_EVENT.kick, 0, 0);
    trace.record(1, RING_EVENT.take, 7, 3);
    trace.record(1, RING_EVENT.return, 7, 0xffffffff);
    const v = trace.view(0);
    expect(v).toMatchObject({ capacity: RING_TRACE_CAPACITY, firstSeq: 0, nextSeq: 3, dropped: 0 });
    expect(v.times).toEqual([1, 2, 3]);
    expect(v.sources).toEqual([0, 1, 1]);
    expect(v.kinds).toEqual([RING_EVENT.kick, RING_EVENT.take, RING_EVENT.return]);
    expect(v.a).toEqual([0, 7, 7]);
    expect(v.b).toEqual([0, 3, 0xffffffff]);
    expect(v.queues).toEqual([
      { address: "00:05.0", device: "virtio-net", queue: 0, name: "receiveq1" },
      { address: "00:05.0", device: "virtio-net", queue: 1, name: "transmitq1" },
    ]);
  });

  it("starts a view at sinceSeq, and never before the oldest event kept", () => {
    const trace = recorder();
    fill(trace, 10);
    const v = trace.view(6);
    expect([v.firstSeq, v.nextSeq]).toEqual([6, 10]);
    expect(v.a).toEqual([6, 7, 8, 9]);
    expect(trace.view(10).a).toEqual([]);
    expect(trace.view(99)).toMatchObject({ firstSeq: 10, nextSeq: 10 });
    expect(trace.view(-5).firstSeq).toBe(0);
  });

  it("keeps the newest CAPACITY events when it wraps around, counting the rest as dropped", () => {
    const trace = recorder();
    fill(trace, RING_TRACE_CAPACITY + 5);
    expect(trace.dropped).toBe(5);
    const v = trace.view(0, RING_TRACE_CAPACITY);
    expect([v.firstSeq, v.nextSeq, v.dropped]).toEqual([5, RING_TRACE_CAPACITY + 5, 5]);
    expect(v.a.length).toBe(RING_TRACE_CAPACITY);
    expect(v.a[0]).toBe(5);
    expect(v.a.at(-1)).toBe(RING_TRACE_CAPACITY + 4);
    // Slot by slot the arrays still line up after the wrap.
    expect(v.b[RING_TRACE_CAPACITY - 1]).toBe((RING_TRACE_CAPACITY + 4) * 2);
    expect(v.times[0]).toBe(6);
  });

  it("hands out at most RING_TRACE_VIEW_LIMIT events per view, from the oldest asked for", () => {
    const trace = recorder();
    fill(trace, RING_TRACE_VIEW_LIMIT + 100);
    const first = trace.view(0);
    expect(first.a.length).toBe(RING_TRACE_VIEW_LIMIT);
    expect([first.firstSeq, first.nextSeq]).toEqual([0, RING_TRACE_VIEW_LIMIT]);
    const rest = trace.view(first.nextSeq);
    expect(rest.a.length).toBe(100);
    expect(rest.a[0]).toBe(RING_TRACE_VIEW_LIMIT);
  });

  it("says where the recording stands without handing out events", () => {
    const trace = recorder();
    fill(trace, RING_TRACE_CAPACITY + 7);
    expect(trace.status()).toMatchObject({ firstSeq: 7, nextSeq: RING_TRACE_CAPACITY + 7, dropped: 7, times: [], a: [] });
    expect(trace.status().queues).toHaveLength(2);
  });

  it("forgets everything on clear, while sequence numbers go on", () => {
    const trace = recorder();
    fill(trace, RING_TRACE_CAPACITY + 3);
    trace.clear();
    expect(trace.view(0)).toMatchObject({ firstSeq: RING_TRACE_CAPACITY + 3, nextSeq: RING_TRACE_CAPACITY + 3, dropped: 0, a: [] });
    fill(trace, 2, 500);
    const v = trace.view(0);
    expect(v.a).toEqual([500, 501]);
    expect(v.firstSeq).toBe(RING_TRACE_CAPACITY + 3);
    // Events recorded after a clear are not counted as dropped until they themselves are overwritten.
    fill(trace, RING_TRACE_CAPACITY - 2);
    expect(trace.dropped).toBe(0);
    fill(trace, 1);
    expect(trace.dropped).toBe(1);
  });

  it("records through a queue's tracer under its source, and tracks used_event reads", () => {
    const trace = recorder();
    const tracer = new QueueTracer(trace, 1);
    tracer.record(RING_EVENT.kick, 0, 0);
    expect(trace.view(0)).toMatchObject({ sources: [1], kinds: [RING_EVENT.kick] });
    expect(tracer.lastUsedEvent).toBe(0);
  });

  it("refuses more sources than its 16-bit source numbers can name", () => {
    const trace = new RingTrace(() => 0);
    for (let i = 0; i < 0xffff; i++) trace.addSource({ address: "a", device: "d", queue: i, name: "q" });
    expect(() => trace.addSource({ address: "a", device: "d", queue: 0, name: "q" })).toThrow(/at most 65535 queues/);
  });
});
