// Where a share link points the inspector: the device a demo is about (every device of that
// kind, so a demo of two network cards lights both) and, optionally, one of its queues.
// Optional in a version-2 link's content: links made before it simply open no focus. As
// strict as the rest of a link: a known device kind that the link's machine has, a queue
// number in range, nothing extra. Pure: no DOM.
import { quote, ShareLinkError } from "./share-config.js";
import type { LinkMachine } from "./link-machine.js";

export const FOCUS_DEVICES = ["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-9p", "virtio-balloon"] as const;
export type FocusDevice = (typeof FOCUS_DEVICES)[number];

export interface ShareFocus {
  /** The kind of device the inspector opens on (its cards scrolled to and lit). */
  device: FocusDevice;
  /** One queue of it, by index (a network card's rx0 is 0, tx0 1). */
  queue?: number;
}

/** No device has more queues than this (a network card's 8 pairs and control queue fit well). */
export const MAX_FOCUS_QUEUE = 63;

/** Checks a link's focus against its (already checked) machine; the first problem found is the error. */
export function checkFocus(value: unknown, machine: LinkMachine): ShareFocus {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ShareLinkError(`focus must be an object with a device (and a queue if wanted), not ${quote(value)}`);
  }
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => k !== "device" && k !== "queue");
  if (extra.length > 0) throw new ShareLinkError(`focus has unknown fields: ${extra.map((k) => quote(k)).join(", ")}`);
  const device = record.device;
  if (typeof device !== "string" || !(FOCUS_DEVICES as readonly string[]).includes(device)) {
    throw new ShareLinkError(`focus.device must be one of ${FOCUS_DEVICES.map((d) => `"${d}"`).join(", ")}, not ${quote(device)}`);
  }
  if (!machine.devices.some((d) => d.type === device)) {
    throw new ShareLinkError(`focus.device is ${quote(device)}, but the link's machine has no such device`);
  }
  const focus: ShareFocus = { device: device as FocusDevice };
  if (!Object.hasOwn(record, "queue")) return focus;
  const queue = record.queue;
  if (typeof queue !== "number" || !Number.isInteger(queue) || queue < 0 || queue > MAX_FOCUS_QUEUE) {
    throw new ShareLinkError(`focus.queue must be a whole number from 0 to ${MAX_FOCUS_QUEUE}, not ${quote(queue)}`);
  }
  return { ...focus, queue };
}
