// The Share button and its panel: the link for the machine this page runs (its devices as
// built, the kernel parameters it added, and a script the reader may write), copied to the
// clipboard when the browser allows and always shown in a field to select. Every change
// re-encodes the link with the same encoder the page decodes with; a machine or value the
// link cannot carry shows why instead of a link. The devices are the running machine's:
// to share other ones, boot them (URL options or a link) and share again.
import { PANELS, ShareLinkError } from "../share/share-config.js";
import type { ShareContent } from "../share/share-content.js";
import { shareUrl } from "../share/share-link.js";
import { describeDevices } from "../share/share-words.js";
import { describeBoot } from "../share/boot-words.js";
import { errorMessage } from "../util/error-message.js";

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function select(name: string, options: readonly string[]): HTMLSelectElement {
  const s = el("select", `share-${name}`);
  s.name = name;
  for (const o of options) s.append(new Option(o, o));
  return s;
}

function labelled(text: string, field: Field): HTMLLabelElement {
  const label = el("label", "share-field", text);
  label.append(field);
  return label;
}

/**
 * `current` gives the content to start from each time the panel opens (the running
 * machine's, with the panel shown at that moment).
 */
export function createSharePanel(button: HTMLButtonElement, panel: HTMLElement, current: () => Promise<ShareContent>): void {
  const machine = el("p", "share-machine");
  const memory = el("input", "share-memory");
  memory.type = "number";
  memory.min = "128";
  memory.max = "2048";
  const panelChoice = select("panel", PANELS);
  const extras = el("input", "share-extras");
  extras.placeholder = "none";
  extras.spellcheck = false;
  const script = el("textarea", "share-script");
  script.rows = 4;
  script.spellcheck = false;
  script.placeholder = "commands to type into the shell, e.g. cat /proc/cpuinfo";
  const url = el("input", "share-url");
  url.readOnly = true;
  url.setAttribute("aria-label", "Share link");
  const copy = el("button", "share-copy", "Copy");
  copy.type = "button";
  const status = el("p", "share-status");
  status.setAttribute("role", "status");
  const urlRow = el("div", "share-url-row");
  urlRow.append(url, copy);
  const fields = el("div", "share-fields");
  fields.append(labelled("Memory (MiB)", memory), labelled("Panel", panelChoice), labelled("Kernel parameters to add", extras));
  panel.replaceChildren(el("h2", "share-heading", "Share this machine"), machine, fields, labelled("Script to run when the shell is ready", script), urlRow, status);

  /** The running machine's content, which the fields edit. */
  let base: ShareContent | undefined;
  let generation = 0;

  function read(): ShareContent | undefined {
    if (!base) return undefined;
    // The select holds only the listed values and the codec checks everything again.
    return {
      machine: { ...base.machine, memoryMiB: Number(memory.value) },
      panel: panelChoice.value as ShareContent["panel"],
      cmdlineExtras: extras.value,
      script: script.value.replace(/\r\n?/g, "\n"),
      // Not edited here: the subject of the link the page was opened from goes on.
      ...(base.focus ? { focus: base.focus } : {}),
    };
  }

  function fill(content: ShareContent): void {
    base = content;
    machine.textContent = `Machine: ${describeDevices(content.machine)}${describeBoot(content.machine.boot)} (${content.machine.devices.length} devices).`;
    memory.value = String(content.machine.memoryMiB);
    panelChoice.value = content.panel;
    extras.value = content.cmdlineExtras;
    script.value = content.script;
  }

  async function update(): Promise<string | undefined> {
    const mine = ++generation;
    try {
      const content = read();
      if (!content) throw new ShareLinkError("the machine is not known yet");
      const href = await shareUrl(location.href, content);
      if (mine !== generation) return undefined;
      url.value = href;
      copy.disabled = false;
      status.textContent = "";
      panel.dataset.link = "ok";
      return href;
    } catch (err) {
      if (mine !== generation) return undefined;
      url.value = "";
      copy.disabled = true;
      status.textContent = `No link: ${err instanceof ShareLinkError ? err.message : errorMessage(err)}`;
      panel.dataset.link = "invalid";
      return undefined;
    }
  }

  async function copyLink(href: string): Promise<void> {
    url.focus();
    url.select();
    try {
      await navigator.clipboard.writeText(href);
      status.textContent = "Link copied to the clipboard.";
      panel.dataset.copied = "true";
    } catch {
      // Not allowed here (no permission, or not a secure context): the field is selected.
      status.textContent = "Select the link above and copy it (Ctrl+C).";
      panel.dataset.copied = "false";
    }
  }

  for (const field of [memory, panelChoice, extras, script]) field.addEventListener("input", () => void update());
  copy.addEventListener("click", () => void (url.value && copyLink(url.value)));
  button.setAttribute("aria-controls", panel.id);
  button.setAttribute("aria-expanded", "false");
  button.disabled = false;
  button.addEventListener("click", () => {
    if (!panel.hidden) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    void current()
      .then((content) => {
        fill(content);
        return update();
      })
      .then((href) => (href ? copyLink(href) : undefined))
      .catch((err: unknown) => {
        status.textContent = `No link: ${errorMessage(err)}`;
        panel.dataset.link = "invalid";
      });
  });
}
