// The live virtqueue inspector: the PCI functions, every virtio device and every queue,
// redrawn from a fresh view of the machine ten times a second while it is open.
//
// The machine pays for each view, so the panel asks only while it is open and not
// paused, one call at a time, on a steady beat (POLL_MS; at once if a call took longer):
// closed, it asks nothing and the guest loses nothing.
import type { ChainView, InspectorView } from "../worker/api.js";
import { createPciTable } from "./inspector-pci.js";
import { createMmioTable } from "./inspector-mmio.js";
import { createDeviceCard, type DeviceCard } from "./inspector-device.js";
import { createChainPanel } from "./inspector-chain.js";
import { UpdateRate } from "./inspector-update-rate.js";
import { el, setHidden, setText } from "./inspector-dom.js";
import { errorMessage } from "../util/error-message.js";
import { createCaptureControl, type CaptureSource } from "./capture-control.js";
import { createTimeline, type TimelineSource } from "./timeline-view.js";
import type { InspectorFocus } from "./inspector-focus.js";

/**
 * Under 100 ms, so that a slow answer now and then (the worker is busy with the guest)
 * still leaves at least 10 updates a second.
 */
export const POLL_MS = 85;
/** After a failed look (no machine yet, or it stopped), ask again this much later. */
const RETRY_MS = 500;

/** What the panel asks the machine; main.ts wires these to the worker API. */
export interface InspectorSource {
  inspect(): Promise<InspectorView>;
  describeChain(address: string, queue: number, slot: number): Promise<ChainView>;
  /** The packet capture's calls; without them the panel has no capture control. */
  capture?: CaptureSource;
  /** The ring-event timeline's calls; without them the panel has no timeline. */
  timeline?: TimelineSource;
}

export interface Inspector {
  open(): void;
  close(): void;
  pause(): void;
  resume(): void;
  /** The machine failed or stopped: the panel asks it nothing more and says why. */
  stop(reason: string): void;
  readonly isOpen: boolean;
}

let instance: Inspector | undefined;
let openWhenCreated = false;

/** Opens the inspector (for share links and the URL); works before the panel exists too. */
export function openInspector(): void {
  if (instance) instance.open();
  else openWhenCreated = true;
}

/** `?inspector=open` opens the panel on load. */
export function inspectorWantedByUrl(search: string): boolean {
  return new URLSearchParams(search).get("inspector") === "open";
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createInspector(panel: HTMLElement, toggle: HTMLButtonElement, source: InspectorSource, focus?: InspectorFocus): Inspector {
  const bar = el("div", "inspector-bar");
  const heading = el("h2", undefined, "Virtqueue inspector");
  // Not a live region: a screen reader would announce it twice a second.
  const rateText = el("span", "inspector-rate");
  const pauseButton = el("button", "inspector-pause", "Pause");
  pauseButton.type = "button";
  const message = el("p", "inspector-message");
  bar.append(heading, rateText, pauseButton);
  const pciFold = el("details", "inspector-pci");
  pciFold.open = true;
  const pci = createPciTable();
  pciFold.append(el("summary", undefined, "PCI functions on bus 0"), pci.element);
  const mmioFold = el("details", "inspector-pci inspector-mmio");
  mmioFold.open = true;
  const mmio = createMmioTable();
  mmioFold.append(el("summary", undefined, "virtio-mmio windows"), mmio.element);
  setHidden(mmioFold, true);
  const devicesBox = el("div", "inspector-devices");
  const capture = source.capture ? createCaptureControl(source.capture) : undefined;
  const timeline = source.timeline ? createTimeline(source.timeline, { pollMs: POLL_MS, ringOf, show: showFromTimeline }) : undefined;
  panel.replaceChildren(bar, message, ...(focus ? [focus.element] : []), ...(capture ? [capture.element] : []), ...(timeline ? [timeline.element] : []), pciFold, mmioFold, devicesBox);
  toggle.setAttribute("aria-controls", panel.id);

  let isOpen = false;
  let paused = false;
  let stopped = false;
  let looping = false;
  let cards = new Map<string, DeviceCard>();
  /** Which devices the reader folded or unfolded, kept across closing and reopening. */
  const folded = new Map<string, boolean>();
  const rate = new UpdateRate();
  let width = 0;
  let selection: { card: DeviceCard; queue: number; slot: number; token: number } | undefined;
  let clicks = 0;
  let latestView: InspectorView | undefined;

  const chain = createChainPanel(() => deselect());

  function deselect(): void {
    selection?.card.queues[selection.queue]?.ring.select(undefined);
    selection = undefined;
    chain.clear();
    timeline?.highlight(undefined);
  }

  function showSlot(card: DeviceCard, queue: number, slot: number): void {
    const q = card.queues[queue];
    if (!q) return;
    selection?.card.queues[selection.queue]?.ring.select(undefined);
    const token = ++clicks;
    selection = { card, queue, slot, token };
    timeline?.highlight(card.element.dataset.address, queue);
    q.ring.select(slot);
    q.chainSlot.append(chain.element);
    const label = `${card.element.dataset.name ?? "device"} · ${q.element.dataset.queueName ?? `queue ${queue}`} · slot ${slot}`;
    chain.loading(label);
    const address = card.element.dataset.address ?? "";
    source.describeChain(address, queue, slot).then(
      (view) => selection?.token === token && chain.show(label, view),
      (err: unknown) => selection?.token === token && chain.failed(label, errorMessage(err)),
    );
  }

  /** A queue's ring as last seen, for the timeline to turn an event's numbers into a slot. */
  function ringOf(address: string, queue: number): { size: number; layout: "split" | "packed" } | undefined {
    const q = latestView?.devices.find((d) => d.address === address)?.queues[queue];
    return q && { size: q.size, layout: q.layout };
  }

  /** An event picked in the timeline: unfold its device, show its slot's chain (or just light the queue), bring it into view. */
  function showFromTimeline(address: string, queue: number, slot: number | undefined): void {
    const card = cards.get(address);
    const q = card?.queues[queue];
    if (!card || !q) return;
    card.element.open = true;
    if (slot !== undefined) showSlot(card, queue, slot);
    else timeline?.highlight(address, queue);
    q.element.scrollIntoView({ block: "nearest" });
  }

  function render(latest: InspectorView): void {
    latestView = latest;
    const seen = new Set<string>();
    for (const view of latest.devices) {
      seen.add(view.address);
      let card = cards.get(view.address);
      if (card && !card.fits(view)) {
        if (selection?.card === card) deselect();
        card.destroy();
        card.element.remove();
        card = undefined;
      }
      if (!card) {
        const made: DeviceCard = createDeviceCard(view, (queue, slot) => showSlot(made, queue, slot), folded.get(view.address) ?? true);
        made.element.addEventListener("toggle", () => folded.set(view.address, made.element.open));
        card = made;
        cards.set(view.address, card);
        devicesBox.append(card.element);
        if (width > 0) card.resize(width);
      }
      card.update(view, latest.takenAtMs);
    }
    for (const [address, card] of cards) {
      if (seen.has(address)) continue;
      card.destroy();
      card.element.remove();
      cards.delete(address);
    }
    // Canvases were drawn above, before any DOM write of this update (see QueueCard.write).
    pci.update(latest.pci);
    mmio.update(latest.mmio);
    setHidden(mmioFold, latest.mmio.length === 0);
    for (const card of cards.values()) card.write();
    focus?.update(latest, [...cards.values()].map((c) => c.element));
    rate.tick(performance.now());
    panel.dataset.updates = String(rate.total);
    panel.dataset.updatesPerSecond = rate.perSecond().toFixed(1);
    // Twice a second is enough to read, and each change of text costs a relayout.
    if (rate.total % 5 === 0) rateText.textContent = `${rate.perSecond().toFixed(1)} updates/s`;
  }

  /** The one polling loop; `looping` keeps a second one from starting beside it. */
  let machineSeen = false;
  async function poll(): Promise<void> {
    if (looping) return;
    looping = true;
    // Calls start on a fixed beat (every POLL_MS), not POLL_MS after the previous one
    // ended, so a slow answer or a late timer does not stretch every later period. After
    // an overrun the beat restarts from now rather than firing a burst to catch up.
    let beat = performance.now();
    try {
      while (isOpen && !paused && !stopped) {
        const started = performance.now();
        let period = POLL_MS;
        try {
          const latest = await source.inspect();
          const answered = performance.now();
          // Paused or closed while the call was out: keep the picture as it was.
          if (!isOpen || paused || stopped) break;
          // Until the machine is built the worker answers with an empty view.
          render(latest);
          // The capture control asked when the panel opened; a panel opened before the
          // machine was built (a link's) heard "no card" then, so it asks again once.
          if (!machineSeen && latest.pci.length > 0) {
            machineSeen = true;
            capture?.refresh();
          }
          setHidden(message, latest.pci.length > 0);
          setText(message, "waiting for the machine to start…");
          // For whoever tunes this (and the benchmark): where each update's time went.
          panel.dataset.callMs = (answered - started).toFixed(1);
          panel.dataset.drawMs = (performance.now() - answered).toFixed(1);
        } catch (err) {
          message.hidden = false;
          message.textContent = `nothing from the machine: ${errorMessage(err)}`;
          period = RETRY_MS;
        }
        beat = Math.max(beat + period, performance.now());
        await sleep(beat - performance.now());
      }
    } finally {
      looping = false;
    }
  }

  function setPaused(value: boolean): void {
    if (stopped) return;
    paused = value;
    panel.dataset.paused = String(paused);
    pauseButton.textContent = paused ? "Resume" : "Pause";
    pauseButton.setAttribute("aria-pressed", String(paused));
    rateText.textContent = paused ? "paused" : rateText.textContent;
    if (paused) rate.reset();
    else void poll();
  }

  const resizer = new ResizeObserver(() => {
    // The queue cards' inner width: the devices' box less the cards' own padding.
    const w = Math.floor(devicesBox.clientWidth - 26);
    if (w <= 0 || w === width) return;
    width = w;
    for (const card of cards.values()) card.resize(width);
  });

  const inspector: Inspector = {
    get isOpen() {
      return isOpen;
    },
    open() {
      if (isOpen) return;
      isOpen = true;
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      document.body.classList.add("inspecting");
      resizer.observe(devicesBox);
      timeline?.setActive(true);
      capture?.refresh();
      setPaused(false);
    },
    close() {
      if (!isOpen) return;
      isOpen = false;
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      document.body.classList.remove("inspecting");
      resizer.disconnect();
      timeline?.setActive(false);
      // Nothing stays behind: charts and cards are rebuilt, from fresh counters, on reopening.
      deselect();
      for (const card of cards.values()) card.destroy();
      cards = new Map();
      devicesBox.replaceChildren();
      rate.reset();
    },
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    stop(reason) {
      if (stopped) return;
      stopped = true;
      panel.dataset.stopped = "true";
      pauseButton.disabled = true;
      rateText.textContent = "stopped";
      message.hidden = false;
      message.textContent = `no more updates: ${reason}`;
    },
  };
  toggle.addEventListener("click", () => (isOpen ? inspector.close() : inspector.open()));
  pauseButton.addEventListener("click", () => setPaused(!paused));
  toggle.setAttribute("aria-expanded", "false");
  panel.hidden = true;
  instance = inspector;
  if (openWhenCreated) inspector.open();
  return inspector;
}
