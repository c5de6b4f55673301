// The gallery of ready demos: each entry is a share link made by the same encoder as the
// Share button, so the demos stay valid links. Following one changes only the URL's
// fragment, which does not reload a page; a machine cannot restart in place, so the page
// reloads whenever a share link comes or goes in the fragment.
import { DEMOS } from "../share/share-demos.js";
import { isShareFragment, shareUrl } from "../share/share-link.js";
import { describeShareContent } from "../share/share-words.js";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export async function createGallery(button: HTMLButtonElement, gallery: HTMLElement): Promise<void> {
  const list = el("ul", "gallery-list");
  for (const demo of DEMOS) {
    const item = el("li", "gallery-item");
    item.dataset.demo = demo.id;
    const link = el("a", "gallery-link", demo.title);
    link.href = await shareUrl(location.href, demo.content);
    item.append(
      link,
      el("p", "gallery-description", demo.description),
      el("pre", "gallery-script", demo.content.script.trimEnd()),
      el("p", "gallery-config", describeShareContent(demo.content)),
    );
    list.append(item);
  }
  gallery.replaceChildren(el("h2", "gallery-heading", "Demos: each is a share link, opened in this tab"), list);
  button.setAttribute("aria-controls", gallery.id);
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    gallery.hidden = !gallery.hidden;
    button.setAttribute("aria-expanded", String(!gallery.hidden));
  });
  button.disabled = false;
}

/** Reloads when a share link is followed in this tab, or left (back to the plain page). */
export function reloadOnShareLinkChange(): void {
  window.addEventListener("hashchange", (event) => {
    const before = isShareFragment(new URL(event.oldURL).hash);
    const after = isShareFragment(new URL(event.newURL).hash);
    if (before || after) location.reload();
  });
}
