// The balloon's control in the Machine panel: how much memory the host asks the guest to
// give back, what the guest has given so far, and the guest's own view of its memory (the
// statistics it sends on the balloon's stats queue). Shown only when the running machine
// has a balloon. The figures are polled: each poll also asks the guest for fresh statistics,
// so they are at most one poll old. All text is set with textContent.
import type { BalloonView } from "../worker/api.js";
import type { Connected } from "./connect.js";
import { errorMessage } from "../util/error-message.js";
import { formatBytes } from "../util/format-bytes.js";

/** Often enough to watch the guest inflate, rarely enough to cost nothing. */
const POLL_MS = 1000;

/** What the control says about the guest's answer: given so far and the guest's free memory. */
export function balloonSummary(view: BalloonView): string {
  const given = `the guest has given back ${formatBytes(view.actualBytes)}`;
  const asked = view.targetBytes === view.actualBytes ? "" : ` (asked: ${formatBytes(view.targetBytes)})`;
  const free = view.guestStats["free_memory"];
  const total = view.guestStats["total_memory"];
  const own = free !== undefined && total !== undefined ? `; it reports ${formatBytes(free)} free of ${formatBytes(total)}` : "";
  return `${given}${asked}${own}`;
}

/** Reads the MiB field: a whole number from 0 to below the memory, or a sentence saying what is wrong. */
export function readTarget(text: string, memoryMiB: number): number | string {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return `give a whole number of MiB, not "${trimmed}"`;
  const mib = Number(trimmed);
  if (mib >= memoryMiB) return `at most ${memoryMiB - 1} MiB (the machine has ${memoryMiB} MiB)`;
  return mib;
}

export function showBalloonControl(row: HTMLElement, { api }: Connected): void {
  const label = document.createElement("label");
  label.textContent = "Balloon: ask the guest to give back ";
  const input = document.createElement("input");
  input.type = "number";
  input.min = "0";
  input.step = "16";
  input.className = "balloon-target";
  input.value = "0";
  label.append(input, " MiB ");
  const set = document.createElement("button");
  set.type = "button";
  set.className = "balloon-set";
  set.textContent = "Set";
  const status = document.createElement("span");
  status.className = "balloon-status";
  status.setAttribute("role", "status");
  row.append(label, set, status);

  let memoryMiB = 0;
  let problem = "";
  const poll = async (): Promise<void> => {
    const view = await api.balloon();
    if (!view) return;
    row.hidden = false;
    memoryMiB = view.memoryMiB;
    input.max = String(memoryMiB - 1);
    status.textContent = problem || balloonSummary(view);
    setTimeout(() => void poll().catch(() => undefined), POLL_MS);
  };
  set.addEventListener("click", () => {
    const target = readTarget(input.value, memoryMiB);
    if (typeof target === "string") {
      problem = `Not set: ${target}.`;
      status.textContent = problem;
      return;
    }
    problem = "";
    Promise.resolve(api.setBalloonTarget(target)).catch((err: unknown) => {
      problem = `Not set: ${errorMessage(err)}.`;
      status.textContent = problem;
    });
  });
  void poll().catch(() => undefined);
}
