import { describe, expect, it } from "vitest";
import { timelineService } from "../../src/worker/timeline-service.js";
import type { Machine } from "../../src/machine/machine.js";
import type { TimelineView } from "../../src/worker/api.js";

const status: TimelineView = { recording: true, capacity: 8, firstSeq: 0, nextSeq: 3, dropped: 0, queues: [], times: [], sources: [], kinds: [], a: [], b: [] };

describe("the worker's timeline calls", () => {
  it("say the machine is not running when there is none", () => {
    const api = timelineService(() => undefined);
    expect(() => api.setTimelineRecording(true)).toThrow("the machine is not running");
    expect(() => api.timeline(0)).toThrow("the machine is not running");
    expect(() => api.clearTimeline()).toThrow("the machine is not running");
    expect(() => api.timelineTraceFile()).toThrow("the machine is not running");
  });

  it("pass through to the running machine", () => {
    const calls: string[] = [];
    const machine = {
      setTimelineRecording: (on: boolean) => (calls.push(`record ${on}`), status),
      timeline: (since: number) => (calls.push(`timeline ${since}`), status),
      clearTimeline: () => void calls.push("clear"),
      timelineTraceFile: () => (calls.push("file"), new Uint8Array([123, 125])),
    } as unknown as Machine;
    const api = timelineService(() => machine);
    expect(api.setTimelineRecording(true)).toBe(status);
    expect(api.timeline(5)).toBe(status);
    api.clearTimeline();
    expect([...api.timelineTraceFile()]).toEqual([123, 125]);
    expect(calls).toEqual(["record true", "timeline 5", "clear", "file"]);
  });
});
