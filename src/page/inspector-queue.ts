// One queue in the inspector, headed by its device's name and address: its ring's fields
// (a split ring's from inspector-queue-parts.ts, a packed ring's from
// inspector-packed-fields.ts), each label explained on hover and focus, the ring picture,
// counters with their rates, and the rate chart. Built once, then updated in place on every view (only text and attributes change; the DOM stays put so the panel does not flicker or reflow),
// and drawn only while it can be seen.
import type { QueueCounters, QueueView } from "../worker/api.js";
import { address, availFlags, pciAddress, slotSummary, usedFlags } from "./inspector-format.js";
import { createRingPicture, MARK_COLOURS, SLOT_COLOURS, type RingPicture } from "./inspector-ring.js";
import { createRateChart, type RateChart } from "./inspector-chart.js";
import { createLayoutParts } from "./inspector-packed-fields.js";
import { RateHistory, ratesBetween, ZERO_RATES } from "./inspector-rates.js";
import { counterTable, SPLIT_FIELDS, splitFields, splitLegend, type SplitField } from "./inspector-queue-parts.js";
import { termLabel } from "./inspector-term.js";
import { el, setData, setHidden, setText } from "./inspector-dom.js";

/** 30 s of history at 10 updates per second. */
const HISTORY = 300;
/**
 * Numbers are rewritten at most this often (the picture and the chart follow every
 * update): digits changing ten times a second cannot be read, and every change of text
 * costs the page a relayout and repaint, CPU that the machine's worker shares.
 */
const TEXT_EVERY_MS = 250;
/**
 * The chart is redrawn at most this often. It shows half a minute, so between two updates
 * it moves by about a pixel: redrawing it twice a second reads the same as ten times, and
 * each redraw of a canvas is paid by the page (raster and compositing) on the same two
 * cores the guest runs on. The ring picture and the data follow every update.
 */
const CHART_EVERY_MS = 500;
/** The counters' rates are the mean over the last second of updates. */
const RATE_SAMPLES = 10;

export interface QueueCard {
  readonly element: HTMLElement;
  /** Where the chain view goes when one of this queue's slots is clicked. */
  readonly chainSlot: HTMLElement;
  readonly ring: RingPicture;
  /**
   * Takes a new view of the queue and redraws its canvases (ring and chart) if they
   * can be seen. `unfolded`: the device's fold is open (the card may still be scrolled
   * out of sight). No DOM writes here: see `write`.
   */
  update(queue: QueueView, takenAtMs: number, unfolded: boolean): void;
  /**
   * Writes the latest view into the DOM (numbers, data-* attributes). The panel calls
   * this after every card has drawn: a canvas that sets a font (the chart's axes) makes
   * the browser recompute styles first if the DOM changed, so drawing before any DOM
   * write saves a forced style pass per chart per update.
   */
  write(): void;
  resize(width: number): void;
  destroy(): void;
}

/** The device a queue belongs to, as its heading names it. */
export interface QueueOwner {
  /** The device's kind ("virtio-net"), which tests select queues by. */
  name: string;
  /** Its name in this machine ("virtio-net" or "disk1"). */
  label: string;
  /** "00:05.0" or "mmio@0xd0000000". */
  address: string;
}

/** "virtio-net 00:05.0 · queue 0 receiveq1": every queue heading names its device. */
export function queueHeading(owner: QueueOwner, index: number, queueName: string): string {
  return `${owner.label} ${pciAddress(owner.address)} · queue ${index} ${queueName}`;
}

export function createQueueCard(owner: QueueOwner, initial: QueueView, onSlotClick: (slot: number) => void): QueueCard {
  const card = el("section", "queue");
  card.dataset.device = owner.name;
  card.dataset.queue = String(initial.index);
  card.dataset.queueName = initial.name;
  const head = el("div", "queue-head");
  const title = el("h4", undefined, queueHeading(owner, initial.index, initial.name));
  const sizeText = el("span");
  const mode = el("span");
  const sizeLabel = termLabel("queue.size", sizeText);
  sizeLabel.classList.add("queue-size");
  const modeLabel = termLabel("queue.mode", mode);
  modeLabel.classList.add("queue-mode");
  head.append(title, sizeLabel, modeLabel);

  const { element: fields, values } = splitFields();
  const splitLegendBox = splitLegend();
  const ring = createRingPicture(onSlotClick);
  const ringBox = el("div", "ring-box");
  const slotCounts = el("p", "ring-counts");
  ringBox.append(ring.element, splitLegendBox, slotCounts);

  const counters = counterTable();
  const chart: RateChart = createRateChart(360);
  const activity = el("div", "queue-activity");
  activity.append(counters.element, chart.element);

  const chainSlot = el("div", "chain-slot");
  const disabled = el("p", "queue-disabled", "not enabled by the driver");
  card.append(head, fields, disabled, ringBox, activity, chainSlot);

  // A packed ring's fields and legend, beside (and instead of) the split ring's.
  const layouts = createLayoutParts(fields, splitLegendBox, SLOT_COLOURS, MARK_COLOURS);

  const history = new RateHistory(HISTORY);
  let previous: { counters: QueueCounters; takenAtMs: number } | undefined;

  let textAt = -Infinity;

  /** The canvases a reader sees; skipped while the card is folded away or scrolled out of sight. */
  let chartAt = -Infinity;

  function drawCanvases(q: QueueView, fresh = false): void {
    ring.update(q, true);
    const now = performance.now();
    if (!q.enabled || (!fresh && now - chartAt < CHART_EVERY_MS)) return;
    chartAt = now;
    chart.update(history);
  }

  /** The numbers, at most every TEXT_EVERY_MS unless `fresh` (the card just came into view). */
  function writeText(q: QueueView, fresh: boolean): void {
    const now = performance.now();
    if (!fresh && now - textAt < TEXT_EVERY_MS) return;
    textAt = now;
    paintText(q);
  }

  function paintText(q: QueueView): void {
    setText(sizeText, `${q.size} slots`);
    setText(mode, q.notificationMode);
    const noEventIdx = "– (no EVENT_IDX)";
    const text: Record<SplitField, string> = {
      desc: address(q.descAddr),
      avail: address(q.availAddr),
      used: address(q.usedAddr),
      availIdx: String(q.availIdx),
      usedIdx: String(q.usedIdx),
      lastSeen: String(q.lastAvailIdx),
      inFlight: String(q.inFlight),
      usedEvent: q.eventIdx ? String(q.usedEvent) : noEventIdx,
      availEvent: q.eventIdx ? String(q.availEvent) : noEventIdx,
      availFlags: availFlags(q.availFlags),
      usedFlags: usedFlags(q.usedFlags),
    };
    for (const [key] of SPLIT_FIELDS) setText(values[key], text[key]);
    layouts.show(q);
    setHidden(disabled, q.enabled);
    setHidden(ringBox, !q.enabled);
    setHidden(activity, !q.enabled);
    if (!q.enabled) return;
    const sums = slotSummary(q.slots);
    const held = q.layout === "packed" ? "taken by the device (in flight)" : "held by the device";
    setText(slotCounts, `${sums.free} free · ${sums.available} available · ${sums.held} ${held} · ${sums.used} used`);
    counters.show(q.counters, history.recent(RATE_SAMPLES));
  }

  // Drawing is most of what the panel costs (the page shares the CPU with the machine's
  // worker), so a card out of sight is not drawn; it catches up as soon as it scrolls in.
  let onScreen = false;
  let latest: { q: QueueView; unfolded: boolean } | undefined;
  const sight = new IntersectionObserver((entries) => {
    onScreen = entries.at(-1)?.isIntersecting ?? onScreen;
    if (!onScreen || !latest?.unfolded) return;
    drawCanvases(latest.q, true);
    writeText(latest.q, true);
  });
  sight.observe(card);
  const seen = (): boolean => onScreen && latest?.unfolded === true;

  return {
    element: card,
    chainSlot,
    ring,
    update(q, takenAtMs, unfolded) {
      // Rates are kept up to date even while the card is folded away, so unfolding it
      // shows a chart with a history rather than a gap.
      const rates = previous ? ratesBetween(previous.counters, q.counters, takenAtMs - previous.takenAtMs) : ZERO_RATES;
      if (previous) history.push(Date.now() / 1000, rates);
      previous = { counters: q.counters, takenAtMs };
      latest = { q, unfolded };
      if (seen()) drawCanvases(q);
      else ring.update(q, false);
    },
    write() {
      if (!latest) return;
      const { q } = latest;
      // What tests read, kept current even when nothing is drawn.
      setData(card, "availIdx", String(q.availIdx));
      setData(card, "usedIdx", String(q.usedIdx));
      setData(card, "lastSeen", String(q.lastAvailIdx));
      setData(card, "inFlight", String(q.inFlight));
      setData(card, "enabled", String(q.enabled));
      setData(card, "layout", q.layout);
      layouts.describe(card, q);
      const sums = slotSummary(q.slots);
      setData(card, "states", `free:${sums.free},available:${sums.available},held:${sums.held},used:${sums.used}`);
      ring.describe();
      if (seen()) writeText(q, false);
    },
    resize(width) {
      ring.resize(width);
    },
    destroy() {
      sight.disconnect();
      chart.destroy();
    },
  };
}
