// One line of the Boot panel: the kernel or the initrd, from a file (the picker, or dropped
// on the line) or an address. A file is checked by the worker as soon as it is picked (the
// machine's own checks): a wrong one is refused at once with the reason and forgotten; an
// address is only written down here, and fetched when the user presses Boot. All text is
// set with textContent.
import type { BootFileFacts } from "../worker/api.js";
import { formatBytes } from "../util/format-bytes.js";
import { errorMessage } from "../util/error-message.js";
import { checkedFacts, type BootRole, type CheckedFacts, type ChosenImage, type KeptImage } from "./boot-choice.js";
import type { DraftImage, PickedImage } from "./boot-choice-store.js";
import { factsWords } from "./boot-words.js";
import { acceptFileDrops } from "./file-drop-target.js";

/** What a line may ask of the worker. */
export interface SlotActions {
  checkFile(role: BootRole, file: File): Promise<BootFileFacts & { sha256: string }>;
}

/** What the line holds: nothing, a checked file, a kept file, or an address (with its facts once fetched). */
export type SlotValue = { kind: "none" } | PickedImage | KeptImage | { kind: "url"; url: string; facts?: CheckedFacts };

export interface BootSlot {
  readonly role: BootRole;
  readonly element: HTMLElement;
  value(): SlotValue;
  /** An address was fetched and checked: its facts. */
  fetched(url: string, facts: CheckedFacts): void;
  /** Says something on the line (an error in red). */
  say(text: string, isError?: boolean): void;
  /** The line's file (after checking) or what a kept choice holds. */
  set(value: SlotValue): void;
  /** A file dropped on the panel for this line. */
  take(file: File): void;
  /** Turns the line's controls off while the panel works. */
  lock(locked: boolean): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const LABELS: Record<BootRole, string> = { kernel: "Kernel (bzImage)", initrd: "Initrd (optional)" };

export function createBootSlot(role: BootRole, actions: SlotActions, maxBytes: number): BootSlot {
  const line = el("div", "boot-slot");
  line.dataset.role = role;
  const pick = el("button", "boot-pick", "File…");
  pick.type = "button";
  const input = el("input", "boot-file");
  input.type = "file";
  input.hidden = true;
  const url = el("input", "boot-url");
  url.type = "url";
  url.placeholder = `https://…/${role === "kernel" ? "bzImage" : "initrd.img"}`;
  url.spellcheck = false;
  url.setAttribute("aria-label", `${role} address`);
  const clear = el("button", "boot-clear", "Clear");
  clear.type = "button";
  const facts = el("span", "boot-facts");
  facts.setAttribute("role", "status");
  line.append(el("span", "boot-label", LABELS[role]), pick, input, el("span", "boot-or", "or"), url, clear, facts);

  let value: SlotValue = { kind: "none" };
  let checking = 0;

  function say(text: string, isError = false): void {
    facts.textContent = text;
    facts.classList.toggle("error", isError);
  }

  function show(v: SlotValue): void {
    value = v;
    line.dataset.state = v.kind;
    if (v.kind === "none") return say(role === "initrd" ? "none" : "the bundled kernel unless you choose one");
    if (v.kind === "url") return say(v.facts ? `fetched: ${factsWords(v.facts)}` : "fetched when you press Boot");
    if (v.kind === "picked") return say(`${v.file.name}: ${factsWords(v.facts)}`);
    say(`${v.fileName} (kept in this browser): ${factsWords(v)}`);
  }

  async function takeFile(file: File): Promise<void> {
    const mine = ++checking;
    url.value = "";
    if (file.size > maxBytes) {
      show({ kind: "none" });
      return say(`${file.name} is ${formatBytes(file.size)}: the page takes files up to ${formatBytes(maxBytes)}`, true);
    }
    line.dataset.state = "checking";
    say(`checking ${file.name}…`);
    try {
      const checked = await actions.checkFile(role, file);
      if (mine !== checking) return;
      show({ kind: "picked", file, facts: checkedFacts(checked) });
    } catch (err) {
      if (mine !== checking) return;
      // Refused: nothing of the file is kept, and the line is empty again.
      show({ kind: "none" });
      line.dataset.state = "refused";
      say(`Refused: ${errorMessage(err)}`, true);
    }
  }

  pick.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (file) void takeFile(file);
  });
  url.addEventListener("input", () => {
    checking++;
    const text = url.value.trim();
    show(text === "" ? { kind: "none" } : { kind: "url", url: text });
  });
  clear.addEventListener("click", () => {
    checking++;
    url.value = "";
    show({ kind: "none" });
  });
  acceptFileDrops(line, (file) => void takeFile(file), { inner: true });
  show(value);

  return {
    role,
    element: line,
    value: () => value,
    fetched(address, checked) {
      if (value.kind === "url" && value.url === address) show({ kind: "url", url: address, facts: checked });
    },
    say,
    set(v) {
      url.value = v.kind === "url" ? v.url : "";
      show(v);
    },
    take: (file) => void takeFile(file),
    lock(locked) {
      for (const c of [pick, url, clear]) c.disabled = locked;
    },
  };
}

/** A kept choice's file or address as a line holds it. */
export function slotValueOf(image: ChosenImage | undefined): SlotValue {
  if (!image) return { kind: "none" };
  if (image.kind === "kept") return image;
  const { kind: _, url, ...facts } = image;
  return { kind: "url", url, facts };
}

/** What a line holds as the panel keeps it; undefined for nothing (an unfetched address is the panel's to fetch first). */
export function draftOf(value: SlotValue): DraftImage | undefined {
  if (value.kind === "none") return undefined;
  if (value.kind === "url") return value.facts ? { kind: "url", url: value.url, ...value.facts } : undefined;
  return value;
}
