// A label that explains itself: hovering it, focusing it with the keyboard (Tab) or
// tapping it shows what it means and the section of the virtio specification that
// defines it, with links to that section's lines in the specification's source and to
// the published document. The explanation is a popover (the top layer, so no scrolling
// box of the inspector clips it) placed after the label in the document, so Tab moves
// from the label into its links; the label's aria-describedby points at it, so a
// screen reader reads it too. Escape, or leaving both, closes it.
// Links open only when clicked, in a new tab: the page fetches nothing by itself.
import { explain, SPEC_URL, sectionName, sourceUrl } from "./glossary.js";
import "./inspector-term.css";

let made = 0;
/** How long a tip stays after the pointer leaves its label (WCAG 1.4.13: hoverable). */
const HOVER_GRACE_MS = 300;

/**
 * `label` (text or a node) made into the explained label of `term`; `about` is a config
 * field's own description. Unknown terms still get a label, marked data-term-missing,
 * which the tests look for.
 */
export function termLabel(term: string, label: string | Node, tag: "span" | "strong" = "span", about?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = "term";
  node.dataset.term = term;
  node.append(label);
  const entry = explain(term, about);
  if (!entry) {
    node.dataset.termMissing = "";
    return node;
  }
  node.tabIndex = 0;
  const tip = document.createElement("span");
  tip.id = `term-tip-${++made}`;
  tip.className = "term-tip";
  tip.setAttribute("role", "tooltip");
  tip.popover = "manual";
  const text = document.createElement("span");
  text.className = "term-text";
  text.textContent = entry.text;
  const section = document.createElement("span");
  section.className = "term-section";
  section.textContent = sectionName(entry.section);
  // The section's own lines first (the HTML's anchors are opaque), then the whole document.
  const links = document.createElement("span");
  links.className = "term-links";
  const exact = sourceUrl(entry.section);
  if (exact) links.append(specLink("term-source", exact, `§${entry.section.number} in the spec's source`, entry.section.number), " · ");
  links.append(specLink("term-html", SPEC_URL, "virtio 1.2 (HTML)", entry.section.number));
  tip.append(text, " ", section, " ", links);
  node.append(tip);
  node.setAttribute("aria-describedby", tip.id);
  wire(node, tip);
  return node;
}

/** A link that opens only when clicked, in a new tab that learns nothing about this page. */
function specLink(kind: string, href: string, label: string, section: string): HTMLAnchorElement {
  const link = document.createElement("a");
  link.className = `term-link ${kind}`;
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = label;
  link.dataset.section = section;
  return link;
}

/** The open tip, at most one: it follows its label while the page or a panel scrolls. */
let open: { node: HTMLElement; tip: HTMLElement } | undefined;
const follow = (): void => {
  if (open) place(open.node, open.tip);
};

/** Places the tip beside its label (below it, or above when there is no room). */
function place(node: HTMLElement, tip: HTMLElement): void {
  const at = node.getBoundingClientRect();
  const box = tip.getBoundingClientRect();
  const margin = 6;
  const left = Math.max(margin, Math.min(at.left, window.innerWidth - box.width - margin));
  const below = at.bottom + 4;
  const top = below + box.height + margin > window.innerHeight ? Math.max(margin, at.top - box.height - 4) : below;
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

function show(node: HTMLElement, tip: HTMLElement): void {
  if (open && open.tip !== tip) hide(open.tip);
  if (!tip.matches(":popover-open")) tip.showPopover();
  if (!open) document.addEventListener("scroll", follow, { capture: true, passive: true });
  open = { node, tip };
  place(node, tip);
}

function hide(tip: HTMLElement): void {
  if (tip.matches(":popover-open")) tip.hidePopover();
  if (open?.tip !== tip) return;
  open = undefined;
  document.removeEventListener("scroll", follow, { capture: true });
}

function wire(node: HTMLElement, tip: HTMLElement): void {
  let hovered = false;
  const update = (): void => {
    if (hovered || node.contains(document.activeElement)) show(node, tip);
    else hide(tip);
  };
  // The pointer crosses a small gap on its way from the label to the link in the tip:
  // closing only a moment after it leaves lets it get there (the tip is the label's child,
  // so entering it counts as entering the label again).
  let leaving: ReturnType<typeof setTimeout> | undefined;
  node.addEventListener("mouseenter", () => {
    clearTimeout(leaving);
    hovered = true;
    update();
  });
  node.addEventListener("mouseleave", () => {
    clearTimeout(leaving);
    leaving = setTimeout(() => {
      hovered = false;
      update();
    }, HOVER_GRACE_MS);
  });
  node.addEventListener("focusin", update);
  // Focus has not moved yet during focusout: where it goes is the event's relatedTarget.
  node.addEventListener("focusout", (event) => {
    const next = event.relatedTarget;
    if (!hovered && !(next instanceof Node && node.contains(next))) hide(tip);
  });
  node.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    clearTimeout(leaving);
    hovered = false;
    hide(tip);
    node.focus();
  });
  // A tap on a touch screen focuses the label; a click on the link must not toggle anything.
  tip.addEventListener("click", (event) => event.stopPropagation());
}
