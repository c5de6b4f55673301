// The Share button and its panel: the link for this page's demo (its configuration, and a
// script the reader may write), copied to the clipboard when the browser allows and always
// shown in a field to select. Every change re-encodes the link with the same encoder the
// page decodes with; a value the link cannot carry shows why instead of a link.
import { DISKS, NETWORKS, PANELS, POLICIES, ShareLinkError, type ShareConfig } from "../share/share-config.js";
import { shareUrl } from "../share/share-link.js";

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
 * `current` gives the configuration to start from each time the panel opens (the page's
 * own, with the panel shown at that moment).
 */
export function createSharePanel(button: HTMLButtonElement, panel: HTMLElement, current: () => ShareConfig): void {
  const memory = el("input", "share-memory");
  memory.type = "number";
  memory.min = "128";
  memory.max = "2048";
  const network = select("network", NETWORKS);
  const policy = select("policy", POLICIES);
  const disk = select("disk", DISKS);
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
  fields.append(
    labelled("Memory (MiB)", memory), labelled("Network", network), labelled("Notifications", policy),
    labelled("Disk", disk), labelled("Panel", panelChoice), labelled("Kernel parameters to add", extras),
  );
  panel.replaceChildren(el("h2", "share-heading", "Share this demo"), fields, labelled("Script to run when the shell is ready", script), urlRow, status);

  let generation = 0;

  function read(): ShareConfig {
    // The selects hold only the listed values and the codec checks everything again.
    return {
      memoryMiB: Number(memory.value),
      network: network.value as ShareConfig["network"],
      policy: policy.value as ShareConfig["policy"],
      disk: disk.value as ShareConfig["disk"],
      panel: panelChoice.value as ShareConfig["panel"],
      cmdlineExtras: extras.value,
      script: script.value.replace(/\r\n?/g, "\n"),
    };
  }

  function fill(config: ShareConfig): void {
    memory.value = String(config.memoryMiB);
    network.value = config.network;
    policy.value = config.policy;
    disk.value = config.disk;
    panelChoice.value = config.panel;
    extras.value = config.cmdlineExtras;
    script.value = config.script;
  }

  async function update(): Promise<string | undefined> {
    const mine = ++generation;
    try {
      const href = await shareUrl(location.href, read());
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
      status.textContent = err instanceof ShareLinkError ? `No link: ${err.message}` : `No link: ${String(err)}`;
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

  for (const field of [memory, network, policy, disk, panelChoice, extras, script]) field.addEventListener("input", () => void update());
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
    fill(current());
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    void update().then((href) => (href ? copyLink(href) : undefined));
  });
}
