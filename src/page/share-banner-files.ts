// The part of a share link's banner for a kernel and an initrd the link names by address:
// the addresses, shown before anything is fetched, and the one button that fetches them
// (the page boots nothing of the link's until then); once the machine runs, each file's
// size and sha256 as this browser received them. Text only (textContent).
import type { BootFilesReport } from "../worker/api.js";
import { factsWords } from "./boot-words.js";

export interface LinkFilesNotice {
  /** The part to put in the banner. */
  element: HTMLElement;
  /** Resolves when the reader presses the button. */
  confirmed: Promise<void>;
  /** The machine runs: the files as fetched. */
  booted(report: BootFilesReport | undefined): void;
  /** Fetching or booting failed (the error panel says why). */
  failed(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function createLinkFilesNotice(urls: { kernel?: string; initrd?: string }): LinkFilesNotice {
  const part = el("div", "share-banner-files");
  const roles = (["kernel", "initrd"] as const).filter((r) => urls[r] !== undefined);
  part.append(el("p", "", `This link boots ${roles.map((r) => (r === "kernel" ? "a kernel" : "an initrd")).join(" and ")} from the address${roles.length > 1 ? "es" : ""} it names:`));
  const list = el("ul", "share-banner-file-list");
  const facts: Partial<Record<"kernel" | "initrd", HTMLElement>> = {};
  for (const role of roles) {
    const item = el("li", "share-banner-file");
    item.dataset.role = role;
    item.append(`${role}: `, el("code", "share-banner-url", urls[role]), " ");
    const f = el("span", "share-banner-file-facts");
    facts[role] = f;
    item.append(f);
    list.append(item);
  }
  const note = el("p", "share-banner-fetch-note", "Nothing is fetched until you say so. ");
  const fetch = el("button", "share-banner-fetch", "Fetch and boot");
  fetch.type = "button";
  note.append(fetch);
  part.append(list, note);
  part.dataset.fetch = "waiting";
  const confirmed = new Promise<void>((resolve) => {
    fetch.addEventListener("click", () => {
      fetch.disabled = true;
      part.dataset.fetch = "fetching";
      note.textContent = "Fetching and checking…";
      resolve();
    }, { once: true });
  });
  return {
    element: part,
    confirmed,
    booted(report) {
      part.dataset.fetch = "booted";
      note.textContent = "Fetched and checked; booted.";
      for (const role of roles) {
        const got = report?.[role];
        const f = facts[role];
        if (got && f) f.textContent = `(${factsWords(got)})`;
      }
    },
    failed() {
      part.dataset.fetch = "failed";
      note.textContent = "Not booted: see the message above.";
    },
  };
}
