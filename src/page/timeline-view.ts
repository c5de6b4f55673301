// The inspector's timeline of ring events: Record, Stop, Clear and Export of everything the
// machine records on every queue, drawn as a logic analyser draws a bus (a row of lanes
// per queue, timeline-lanes.ts) against guest time, with the same events in words below.
// While recording it asks the machine for new events on the inspector's beat, and only
// while the inspector is open and this fold is unfolded; the page keeps a bounded copy
// (timeline-buffer.ts). A picked event that names a chain selects its slot in the ring
// picture; the queue selected there is lit here.
import { TIMELINE_EVENT_NAMES, type TimelineView } from "../worker/api.js";
import { errorMessage } from "../util/error-message.js";
import { TimelineBuffer } from "./timeline-buffer.js";
import type { PickedEvent } from "./timeline-draw.js";
import { createTimelineCanvas } from "./timeline-canvas.js";
import { GEOMETRY, eventWords, nearestEvent, placeAt, slotOfEvent, type RingShape } from "./timeline-lanes.js";
import { attachNavigation, navigationButtons, type Navigable } from "./timeline-navigation.js";
import { createTimelineTable } from "./timeline-table.js";
import { createLegend, downloadFile } from "./timeline-legend.js";
import { clampToData, FIRST_WINDOW, fitAll, following, formatSpan, formatTime, showsNewest, zoomAt, type TimeWindow } from "./timeline-window.js";
import { el, setData, setText } from "./inspector-dom.js";
import "./timeline.css";

/** What the timeline asks the worker; main.ts wires these to the worker API. */
export interface TimelineSource {
  setTimelineRecording(on: boolean): Promise<TimelineView>;
  timeline(sinceSeq: number): Promise<TimelineView>;
  clearTimeline(): Promise<void>;
  timelineTraceFile(): Promise<Uint8Array>;
}

/** What it asks of the inspector around it. */
export interface TimelineHost {
  /** How often to ask for new events (the inspector's beat). */
  pollMs: number;
  /** A queue's ring as the inspector last saw it. */
  ringOf(address: string, queue: number): RingShape | undefined;
  /** Selects a queue's card and, when given, a slot of its ring picture. */
  show(address: string, queue: number, slot: number | undefined): void;
}

export interface TimelinePart {
  readonly element: HTMLElement;
  /** The inspector opened (true) or closed: the timeline asks nothing while closed. */
  setActive(active: boolean): void;
  /** Lights the row of the queue selected in the inspector (undefined: none). */
  highlight(address: string | undefined, queue?: number): void;
}

export const TRACE_FILE_NAME = "ringside-trace.json";
/** Text (counts, table, readout) is rewritten at most this often; the canvas follows every batch. */
const TEXT_EVERY_MS = 500;

/** A batch this large means more are waiting (the machine hands out 20,000 at most per call). */
const BACKLOG_EVENTS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createTimeline(source: TimelineSource, host: TimelineHost): TimelinePart {
  const fold = el("details", "timeline");
  fold.append(el("summary", undefined, "Timeline of ring events"));
  const button = (text: string, label: string, action: () => void): HTMLButtonElement => {
    const b = el("button", undefined, text);
    b.type = "button";
    // A symbol's button is named in words; a worded one keeps its words as its name (the title says more).
    if (!/\w/.test(text)) b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", action);
    return b;
  };
  const record = button("Record", "Record", () => void setRecording(!recording));
  record.classList.add("timeline-record");
  const clear = button("Clear", "Forget every recorded event", () => void clearAll());
  const exportButton = button("Export", `Download everything recorded as ${TRACE_FILE_NAME}`, () => void exportTrace());
  const status = el("span", "timeline-status");
  status.setAttribute("role", "status");
  const controls = el("div", "timeline-controls");
  const hint = el("p", "timeline-hint", `Export saves ${TRACE_FILE_NAME}, a Chrome trace-event file that opens in ui.perfetto.dev or chrome://tracing.`);
  const legend = createLegend();
  const view = createTimelineCanvas(fold, () => redraw());
  const canvas = view.element;
  const readout = el("p", "timeline-readout empty");
  const keys = el("p", "timeline-keys", "Wheel: zoom · shift+wheel or drag: scroll · keys: ←/→ scroll, +/− zoom, Home all, End newest · click an event to see its slot in the ring.");
  const table = createTimelineTable((picked) => pick(picked));
  fold.append(controls, hint, legend, canvas, readout, keys, table.element);

  const buf = new TimelineBuffer();
  let recording = false;
  let active = false;
  let looping = false;
  let generation = 0;
  let follow = true;
  let win: TimeWindow = FIRST_WINDOW;
  let highlightRow: number | undefined;
  let highlightKey: { address: string; queue: number } | undefined;
  let selected: PickedEvent | undefined;
  let textAt = -Infinity;
  let drawQueued = false;

  const plotWidth = (): number => view.plotWidth();
  const ringOfRow = (r: number): RingShape | undefined => {
    const row = buf.rows[r];
    return row && host.ringOf(row.address, row.queue);
  };

  function draw(): void {
    drawQueued = false;
    const last = buf.last;
    if (follow && last !== undefined) win = following(win, last);
    view.paint({ buf, window: win, highlightRow, selected }, follow);
  }
  const redraw = (): void => {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(draw);
  };

  function writeText(force = false): void {
    const now = performance.now();
    if (!force && now - textAt < TEXT_EVERY_MS) return;
    textAt = now;
    table.update(buf, ringOfRow, highlightRow);
    const lost = buf.machineDropped + buf.dropped;
    const what = `${buf.length} events${lost > 0 ? ` (${lost} older ones dropped)` : ""}`;
    setText(status, `${recording ? "Recording" : buf.length > 0 ? "Stopped" : "Not recording"}: ${what} · window ${formatSpan(win.span)}`);
    setData(fold, "events", String(buf.length));
    setData(fold, "rows", buf.rows.map((r) => r.label).join(";"));
  }

  function showState(view: TimelineView | undefined): void {
    if (view) recording = view.recording;
    record.textContent = recording ? "Stop" : "Record";
    record.setAttribute("aria-pressed", String(recording));
    setData(fold, "recording", String(recording));
  }

  function take(view: TimelineView, gen: number): void {
    if (gen !== generation) return;
    buf.append(view);
    showState(view);
    if (highlightKey) highlightRow = buf.findRow(highlightKey.address, highlightKey.queue);
    redraw();
    writeText();
  }

  /** The loop: one call at a time, while open, unfolded and recording; one last call after a stop. */
  async function poll(): Promise<void> {
    if (looping) return;
    looping = true;
    try {
      let backlog = false;
      do {
        const gen = generation;
        try {
          const batch = await source.timeline(buf.nextSeq);
          take(batch, gen);
          // The machine hands out a bounded batch per call: a backlog (a long recording seen
          // for the first time, the tail after a stop) is fetched at once, not a batch per beat.
          backlog = batch.times.length >= BACKLOG_EVENTS || (!recording && batch.times.length > 0);
        } catch (err) {
          setText(status, `No answer from the machine: ${errorMessage(err)}.`);
          break;
        }
        if (!backlog) await sleep(host.pollMs);
      } while (active && fold.open && (recording || backlog));
      // A finished recording is first seen whole, as a logic analyser shows its capture.
      if (!recording && follow) navigable.showAll();
      writeText(true);
    } finally {
      looping = false;
    }
  }

  async function setRecording(on: boolean): Promise<void> {
    try {
      showState(await source.setTimelineRecording(on));
      if (on) follow = true;
      void poll();
    } catch (err) {
      setText(status, `${on ? "Not started" : "Not stopped"}: ${errorMessage(err)}.`);
    }
  }

  async function clearAll(): Promise<void> {
    generation++;
    buf.clear();
    selected = undefined;
    win = FIRST_WINDOW;
    follow = true;
    redraw();
    writeText(true);
    await source.clearTimeline().catch((err: unknown) => setText(status, `Not cleared: ${errorMessage(err)}.`));
  }

  async function exportTrace(): Promise<void> {
    try {
      downloadFile(await source.timelineTraceFile(), TRACE_FILE_NAME, "application/json");
    } catch (err) {
      setText(status, `Not exported: ${errorMessage(err)}.`);
    }
  }

  /** An event's index in the buffer now, found by what it is. */
  function indexOf(e: PickedEvent): number | undefined {
    for (let i = buf.indexAt(e.time); i < buf.length && buf.time(i) === e.time; i++) {
      if (buf.row(i) === e.row && buf.kind(i) === e.kind && buf.a(i) === e.a && buf.b(i) === e.b) return i;
    }
    return undefined;
  }

  function describe(e: PickedEvent): string {
    const row = buf.rows[e.row];
    return `${formatTime(e.time - (buf.origin ?? 0), 0.001)} · ${row?.label ?? "?"} · ${eventWords(e.kind, e.a, e.b, ringOfRow(e.row)?.layout)}`;
  }

  function pick(e: PickedEvent): void {
    const i = indexOf(e);
    const row = buf.rows[e.row];
    if (i === undefined || !row) return;
    selected = e;
    const slot = slotOfEvent(buf, i, ringOfRow(e.row));
    Object.assign(fold.dataset, { selectedKind: TIMELINE_EVENT_NAMES[e.kind] ?? String(e.kind), selectedA: String(e.a), selectedB: String(e.b), selectedRow: row.label, selectedSlot: String(slot ?? "") });
    setText(readout, describe(e));
    readout.classList.remove("empty");
    host.show(row.address, row.queue, slot);
    redraw();
  }

  function eventAt(x: number, y: number): PickedEvent | undefined {
    const place = placeAt(y, buf.rows.length);
    if (!place || x < GEOMETRY.gutter) return undefined;
    const i = nearestEvent(buf, win, plotWidth(), place.row, x - GEOMETRY.gutter, place.lane, place.half);
    return i === undefined ? undefined : { time: buf.time(i), row: place.row, kind: buf.kind(i), a: buf.a(i), b: buf.b(i) };
  }

  const navigable: Navigable = {
    get window() {
      return win;
    },
    plotWidth,
    setWindow(w, keepFollowing) {
      const first = buf.first;
      const last = buf.last;
      win = first !== undefined && last !== undefined ? clampToData(w, first, last) : w;
      follow = keepFollowing ?? (last === undefined || showsNewest(win, last));
      redraw();
    },
    zoom(factor, anchor) {
      const last = buf.last;
      const at = anchor ?? (follow && last !== undefined ? last : win.start + win.span / 2);
      navigable.setWindow(zoomAt(win, factor, at), follow && anchor === undefined ? true : undefined);
    },
    showAll() {
      const [first, last] = [buf.first, buf.last];
      if (first !== undefined && last !== undefined) navigable.setWindow(fitAll(first, last));
    },
    showNewest() {
      follow = true;
      redraw();
    },
    pick(x, y) {
      const e = eventAt(x, y);
      if (e) pick(e);
    },
    hover(x, y) {
      const e = eventAt(x, y);
      canvas.title = e ? `${describe(e)}${slotOfEvent(buf, indexOf(e) ?? 0, ringOfRow(e.row)) !== undefined ? " (click: show in the ring)" : ""}` : "";
    },
  };
  attachNavigation(canvas, navigable);
  controls.append(record, clear, exportButton, el("span", "timeline-gap"), ...navigationButtons(navigable, button), status);

  table.element.addEventListener("toggle", () => writeText(true));
  fold.addEventListener("toggle", () => {
    if (active && fold.open) void poll();
  });
  showState(undefined);
  setText(readout, "Pick an event to read it here.");
  writeText(true);

  return {
    element: fold,
    setActive(on) {
      active = on;
      if (on && fold.open) void poll();
    },
    highlight(address, queue) {
      highlightKey = address === undefined || queue === undefined ? undefined : { address, queue };
      highlightRow = highlightKey && buf.findRow(highlightKey.address, highlightKey.queue);
      setData(fold, "highlight", highlightRow === undefined ? "" : (buf.rows[highlightRow]?.label ?? ""));
      redraw();
      writeText(true);
    },
  };
}
