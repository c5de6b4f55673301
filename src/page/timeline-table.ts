// The timeline in words, for whoever cannot see the canvas or would rather read: per queue,
// how many events of each kind are kept, and its last few events with their time and what
// they mean, each naming a chain with a button that shows it in the ring picture (the same
// as clicking its glyph). Also where tests read the counts (data-counts on each row).
import { TIMELINE_EVENT_NAMES } from "../worker/api.js";
import type { TimelineBuffer } from "./timeline-buffer.js";
import { eventWords, KIND_STYLE, slotOfEvent, type RingShape } from "./timeline-lanes.js";
import { formatTime } from "./timeline-window.js";
import type { PickedEvent } from "./timeline-draw.js";
import { el, setData, setText } from "./inspector-dom.js";

/** Events listed per queue. */
export const RECENT_PER_ROW = 6;

/** "take:340,return:340,kick:12": a row's counts as data-counts carries them (kinds with none left out). */
export function countsText(counts: readonly number[]): string {
  return TIMELINE_EVENT_NAMES.flatMap((name, k) => ((counts[k] ?? 0) > 0 ? [`${name}:${counts[k]}`] : [])).join(",");
}

/** The same in words: "340 device took · 12 kick". */
function countsWords(counts: readonly number[]): string {
  const parts = TIMELINE_EVENT_NAMES.flatMap((name, k) => ((counts[k] ?? 0) > 0 ? [`${counts[k]} ${KIND_STYLE[name].words}`] : []));
  return parts.length > 0 ? parts.join(" · ") : "no events";
}

/** The last `n` events of each row, newest last, as indexes into the buffer (a bounded walk back from the newest). */
export function recentByRow(buf: TimelineBuffer, n: number, lookBack = 50_000): number[][] {
  const recent = buf.rows.map((): number[] => []);
  let wanted = buf.rows.length;
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - lookBack) && wanted > 0; i--) {
    const list = recent[buf.row(i)];
    if (!list || list.length >= n) continue;
    list.unshift(i);
    if (list.length === n) wanted--;
  }
  return recent;
}

export interface TimelineTable {
  readonly element: HTMLElement;
  update(buf: TimelineBuffer, ringOf: (row: number) => RingShape | undefined, highlightRow: number | undefined): void;
}

export function createTimelineTable(onShow: (event: PickedEvent) => void): TimelineTable {
  const fold = el("details", "timeline-text");
  fold.append(el("summary", undefined, `Events in words: counts per queue and the last ${RECENT_PER_ROW} of each`));
  const box = el("div");
  fold.append(box);
  let sections: HTMLElement[] = [];

  return {
    element: fold,
    update(buf, ringOf, highlightRow) {
      while (sections.length < buf.rows.length) {
        const section = el("section", "timeline-row-text");
        section.append(el("h5"), el("p"), el("table"));
        sections.push(section);
        box.append(section);
      }
      for (const s of sections.splice(buf.rows.length)) s.remove();
      const counts = buf.countsByRow();
      const recent = fold.open ? recentByRow(buf, RECENT_PER_ROW) : [];
      for (const [r, row] of buf.rows.entries()) {
        const section = sections[r]!;
        const [title, summary, table] = [...section.children] as [HTMLElement, HTMLElement, HTMLTableElement];
        setData(section, "device", row.device);
        setData(section, "queueName", row.name);
        setData(section, "address", row.address);
        setData(section, "counts", countsText(counts[r] ?? []));
        section.classList.toggle("highlighted", r === highlightRow);
        setText(title, row.label);
        setText(summary, countsWords(counts[r] ?? []));
        if (!fold.open) continue;
        const ring = ringOf(r);
        table.replaceChildren(
          ...(recent[r] ?? []).map((i) => {
            const tr = el("tr");
            const kind = buf.kind(i);
            Object.assign(tr.dataset, { kind: TIMELINE_EVENT_NAMES[kind] ?? String(kind), time: String(buf.time(i)), a: String(buf.a(i)), b: String(buf.b(i)) });
            const time = el("td", "time", formatTime(buf.time(i) - (buf.origin ?? 0), 0.001));
            const words = el("td", "words", eventWords(kind, buf.a(i), buf.b(i), ring?.layout));
            const action = el("td");
            if (slotOfEvent(buf, i, ring) !== undefined) {
              const show = el("button", undefined, "Show in ring");
              show.type = "button";
              show.setAttribute("aria-label", `Show in ring: ${row.label}, ${words.textContent ?? ""}`);
              const picked: PickedEvent = { time: buf.time(i), row: r, kind, a: buf.a(i), b: buf.b(i) };
              show.addEventListener("click", () => onShow(picked));
              action.append(show);
            }
            tr.append(time, words, action);
            return tr;
          }),
        );
      }
    },
  };
}
