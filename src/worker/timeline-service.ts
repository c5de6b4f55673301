// The inspector's timeline of ring events (TimelineApi in api.ts): the running machine's
// recorder, switched on and off and read by the page. The trace file is transferred, not
// copied: it can be tens of MiB.
import * as Comlink from "comlink";
import type { Machine } from "../machine/machine.js";
import type { TimelineApi, TimelineView } from "./api.js";

export function timelineService(running: () => Machine | undefined): TimelineApi {
  const machine = (): Machine => {
    const m = running();
    if (!m) throw new Error("the machine is not running");
    return m;
  };
  return {
    setTimelineRecording(on: boolean): TimelineView {
      return machine().setTimelineRecording(on);
    },
    timeline(sinceSeq: number): TimelineView {
      return machine().timeline(sinceSeq);
    },
    clearTimeline(): void {
      machine().clearTimeline();
    },
    timelineTraceFile(): Uint8Array {
      const bytes = machine().timelineTraceFile();
      return Comlink.transfer(bytes, [bytes.buffer]);
    },
  };
}
