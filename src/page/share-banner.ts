// The banner a page opened from a share link shows before anything runs: the script it
// will type into the guest and the machine it boots. Everything from the link
// is set as text (textContent), never parsed as HTML.
import type { ShareContent } from "../share/share-content.js";
import { describeShareContent } from "../share/share-words.js";
import { onPageFailure } from "./page-failure.js";

export interface ShareBanner {
  /** The script went into the guest's shell. */
  typed(): void;
  /**
   * No ringside shell prompt came (the guest's userspace is not ringside's, or is slow):
   * the script was not typed; `typeNow` types it when the reader asks (a button).
   */
  noPrompt(typeNow: () => Promise<void>): void;
  /** The machine did not start or failed (the error panel or the boot report says why): the script will not be typed. */
  notStarted(): void;
  /** Puts a part of the banner (the link's kernel and initrd) above its status line. */
  insert(node: HTMLElement): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function createShareBanner(banner: HTMLElement, content: ShareContent, overridden: readonly string[]): ShareBanner {
  const heading = el("p", "share-banner-heading");
  heading.append(el("strong", "", "This page was opened from a share link"), ": it will run this script:");
  const script = el("pre", "share-banner-script", content.script === "" ? "(no script: the link only sets the machine)" : content.script);
  const summary = el("p", "share-banner-config", `Configuration: ${describeShareContent(content)}.`);
  const status = el("p", "share-banner-status", content.script === "" ? "" : "It will be typed into the shell when the shell is ready.");
  status.setAttribute("role", "status");
  const hide = el("button", "share-banner-hide", "Hide");
  hide.type = "button";
  hide.addEventListener("click", () => (banner.hidden = true));
  banner.replaceChildren(heading, script, summary);
  if (overridden.length > 0) {
    banner.append(el("p", "share-banner-override", `The address also has ${overridden.join(" ")}: the link's settings are used instead.`));
  }
  banner.append(status, hide);
  banner.hidden = false;
  document.body.dataset.share = "link";
  let typed = false;
  const view = {
    typed() {
      if (content.script === "" || typed) return;
      typed = true;
      status.textContent = "The script was typed into the shell.";
      document.body.dataset.share = "typed";
    },
    noPrompt(typeNow: () => Promise<void>) {
      if (content.script === "" || typed) return;
      status.textContent = "No ringside shell prompt seen: the script was not typed (this guest's userspace may not be ringside's). ";
      const now = el("button", "share-banner-type", "Type it now");
      now.type = "button";
      now.addEventListener("click", () => {
        now.disabled = true;
        void typeNow().then(() => view.typed());
      });
      status.append(now);
      document.body.dataset.share = "no-prompt";
    },
    notStarted() {
      if (content.script === "" || typed) return;
      status.textContent = "The machine did not start: the script was not typed.";
      document.body.dataset.share = "not-started";
    },
    insert(node: HTMLElement) {
      banner.insertBefore(node, status);
    },
  };
  // A machine that failed (an error, a kernel panic) will not reach the shell the script waits for.
  onPageFailure(() => view.notStarted());
  return view;
}
