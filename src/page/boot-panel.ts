// The Boot panel: the user's own kernel (bzImage), initrd (optional) and kernel command
// line, each file picked, dropped on its line, or given as an address. Files are checked
// when picked (boot-slot.ts); addresses are fetched and checked when Boot is pressed (not
// before: typing an address fetches nothing). Boot keeps the choice in this browser
// (boot-choice-store.ts) and the page reloads into it, every reload after too, until "Use
// the bundled images". A choice that cannot be kept or fetched changes nothing: the running
// machine carries on and the kept choice stays as it was. All text is set with textContent.
import type { BootFileFacts, BootFilesReport } from "../worker/api.js";
import { errorMessage } from "../util/error-message.js";
import { imageUrlProblem } from "../share/image-url.js";
import { checkedFacts, imageLabel, type BootChoice, type BootRole } from "./boot-choice.js";
import type { BootDraft } from "./boot-choice-store.js";
import { createBootSlot, draftOf, slotValueOf, type BootSlot, type SlotActions } from "./boot-slot.js";
import { panelOperations } from "./panel-parts.js";
import { acceptFileDrops } from "./file-drop-target.js";

/** What the panel may do; main.ts wires these to the worker API and the store. */
export interface BootPanelActions extends SlotActions {
  checkUrl(role: BootRole, url: string): Promise<BootFileFacts & { sha256: string }>;
  /** Keeps the choice and boots it (the page reloads); rejects with why nothing was kept. */
  keep(draft: BootDraft): Promise<void>;
  /** Forgets any choice and boots the bundled images (the page reloads). */
  useBundled(): Promise<void>;
}

export interface BootPanelSetup {
  /** The kept choice this page booted, or null. */
  choice: BootChoice | null;
  /** Why a kept choice could not be read, if it could not. */
  problem?: string;
  /** The command line the field starts with when nothing is kept: the page's own. */
  defaultCmdline: string;
  /** The largest file the worker takes. */
  maxFileBytes: number;
  /** ?boot=disk: the firmware boots the persistent disk's own boot loader and kernel. */
  fromDisk?: boolean;
}

export interface BootPanel {
  /** The machine is up: what the worker fetched for the kept addresses (size and sha256 at this boot). */
  booted(report: BootFilesReport | undefined): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className: string, text: string): HTMLButtonElement {
  const b = el("button", className, text);
  b.type = "button";
  return b;
}

export function createBootPanel(panel: HTMLElement, actions: BootPanelActions, setup: BootPanelSetup): BootPanel {
  const now = el("span", "boot-now");
  const choose = button("boot-choose", "Choose your own…");
  choose.setAttribute("aria-expanded", "false");
  const bundled = button("boot-bundled", "Use the bundled images");
  const summary = el("div", "boot-summary");
  const words = el("p", "boot-summary-text");
  words.append(el("strong", "", "Boot"), " ", now);
  const summaryButtons = el("div", "boot-summary-buttons");
  summaryButtons.append(choose, bundled);
  summary.append(words, summaryButtons);
  const kernel = createBootSlot("kernel", actions, setup.maxFileBytes);
  const initrd = createBootSlot("initrd", actions, setup.maxFileBytes);
  const slots: Record<BootRole, BootSlot> = { kernel, initrd };
  const cmdline = el("input", "boot-cmdline");
  cmdline.spellcheck = false;
  cmdline.setAttribute("aria-label", "kernel command line");
  const cmdlineRow = el("label", "boot-cmdline-row", "Command line ");
  cmdlineRow.append(cmdline);
  const go = button("boot-go", "Boot");
  const progress = el("progress", "boot-progress");
  progress.hidden = true;
  const message = el("span", "boot-message");
  message.setAttribute("role", "status");
  const actionRow = el("div", "boot-actions");
  actionRow.append(go, progress, message);
  const form = el("div", "boot-form");
  form.hidden = true;
  form.append(kernel.element, initrd.element, cmdlineRow, actionRow);
  panel.replaceChildren(summary, form);
  const open = (shown: boolean): void => {
    form.hidden = !shown;
    choose.setAttribute("aria-expanded", String(shown));
  };
  choose.addEventListener("click", () => open(form.hidden));

  const { choice } = setup;
  now.textContent = setup.fromDisk
    ? "the persistent disk's own boot loader and kernel (?boot=disk)"
    : choice
    ? `your choice, kept in this browser: ${imageLabel(choice.kernel)}${choice.initrd ? ` with ${imageLabel(choice.initrd)}` : ", no initrd"}`
    : "the bundled kernel and initrd";
  kernel.set(slotValueOf(choice?.kernel));
  initrd.set(slotValueOf(choice?.initrd));
  cmdline.value = choice?.cmdline ?? setup.defaultCmdline;
  panel.dataset.choice = choice ? "kept" : "bundled";
  const canGoBack = choice !== null || setup.problem !== undefined;
  // Nothing kept: the bundled images are what boots, and the button has nothing to do.
  bundled.hidden = !canGoBack;

  const ops = panelOperations(panel, message, progress,
    () => {
      go.disabled = bundled.disabled = true;
      progress.hidden = false;
      for (const s of [kernel, initrd]) s.lock(true);
    },
    () => {
      go.disabled = bundled.disabled = false;
      for (const s of [kernel, initrd]) s.lock(false);
    });
  if (setup.problem) {
    ops.say(setup.problem, true);
    open(true);
  }

  /** Fetches and checks the line's address if it has not been; false when it failed (the line says why). */
  async function fetchAddress(slot: BootSlot): Promise<boolean> {
    const value = slot.value();
    if (value.kind !== "url" || value.facts) return true;
    const problem = imageUrlProblem(value.url);
    if (problem) {
      slot.say(`Refused: the address must be ${problem}`, true);
      return false;
    }
    slot.say(`fetching ${value.url}…`);
    try {
      const facts = await actions.checkUrl(slot.role, value.url);
      slot.fetched(value.url, checkedFacts(facts));
      return true;
    } catch (err) {
      slot.say(`Refused: ${errorMessage(err)}`, true);
      return false;
    }
  }

  go.addEventListener("click", () => {
    void ops.run("Checking your choice", async () => {
      if (kernel.value().kind === "none") {
        ops.say("Choose a kernel first: a bzImage file or an https address.", true);
        return;
      }
      if (!(await fetchAddress(kernel)) || !(await fetchAddress(initrd))) {
        ops.say("Nothing was kept: see the reason above.", true);
        return;
      }
      const kernelDraft = draftOf(kernel.value());
      if (!kernelDraft) return;
      const initrdDraft = draftOf(initrd.value());
      const line = cmdline.value.trim().replace(/\s+/g, " ");
      ops.say("Keeping your choice in this browser…");
      await actions.keep({ kernel: kernelDraft, ...(initrdDraft ? { initrd: initrdDraft } : {}), cmdline: line });
      ops.say("Kept; restarting…");
    });
  });
  bundled.addEventListener("click", () => {
    void ops.run("Going back to the bundled images", async () => {
      await actions.useBundled();
      ops.say("Restarting with the bundled images…");
    });
  });
  // A file dropped anywhere else on the panel: the kernel's line until it has one, then the initrd's.
  acceptFileDrops(panel, (file) => {
    open(true);
    (kernel.value().kind === "none" ? kernel : initrd).take(file);
  }, { onHover: () => open(true) });
  panel.hidden = false;

  return {
    booted(report) {
      for (const role of ["kernel", "initrd"] as const) {
        const value = slots[role].value();
        const facts = report?.[role];
        const sha256 = facts?.sha256;
        if (value.kind !== "url" || !facts || !sha256 || facts.source !== "url") continue;
        slots[role].set({ kind: "url", url: value.url, facts: checkedFacts({ ...facts, sha256 }) });
      }
    },
  };
}
