// What a share link holds since version 2: a machine (link-machine.ts: a machine description
// without its command line), the kernel parameters it adds to the page's, the script to
// type and the panel to open. A version-1 link's configuration (share-config.ts) is the
// page's URL options in other words, and reads as the machine those options build.
// Checked as strictly as version 1: every field present, nothing extra.
import { checkCmdlineExtras, checkScript, PANELS, quote, ShareLinkError, type ShareConfig, type SharePanel } from "./share-config.js";
import { checkLinkMachine, linkMachineOf, type LinkMachine } from "./link-machine.js";
import { PAGE_DISK, pageMachine, pageMachineOptions } from "./page-machine.js";
import { checkFocus, type ShareFocus } from "./share-focus.js";
import type { MachineDescription } from "../worker/api.js";

export interface ShareContent {
  machine: LinkMachine;
  /** Appended to the page's kernel command line, never in place of it. */
  cmdlineExtras: string;
  /** Typed into the guest's shell once it is ready. */
  script: string;
  /** The panel open after boot. */
  panel: SharePanel;
  /** The device (and queue) the inspector opens on; absent in links made before it existed. */
  focus?: ShareFocus;
}

export const CONTENT_FIELDS = ["machine", "cmdlineExtras", "script", "panel"] as const;
/** Fields a link may leave out. */
export const OPTIONAL_CONTENT_FIELDS = ["focus"] as const;

/** Checks a decoded version-2 link's content field by field; the first problem found is the error. */
export function checkShareContent(value: unknown): ShareContent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ShareLinkError(`the link's content must be an object with ${CONTENT_FIELDS.join(", ")}, not ${quote(value)}`);
  }
  const record = value as Record<string, unknown>;
  const known: readonly string[] = [...CONTENT_FIELDS, ...OPTIONAL_CONTENT_FIELDS];
  const extra = Object.keys(record).filter((k) => !known.includes(k));
  if (extra.includes("relay") || extra.includes("relayUrl") || extra.includes("wisp")) {
    throw new ShareLinkError(`a share link cannot carry a ${extra.includes("wisp") ? "wisp server's" : "relay"} address: it would make this browser connect to a server the link chose`);
  }
  if (extra.length > 0) throw new ShareLinkError(`the link has unknown fields: ${extra.map((k) => quote(k)).join(", ")}`);
  const missing = CONTENT_FIELDS.filter((k) => !Object.hasOwn(record, k));
  if (missing.length > 0) throw new ShareLinkError(`the link lacks fields: ${missing.join(", ")}`);
  const machine = checkLinkMachine(record.machine);
  const content: ShareContent = {
    machine,
    cmdlineExtras: checkCmdlineExtras(record.cmdlineExtras),
    script: checkScript(record.script),
    panel: checkPanel(record.panel),
  };
  return Object.hasOwn(record, "focus") ? { ...content, focus: checkFocus(record.focus, machine) } : content;
}

function checkPanel(panel: unknown): SharePanel {
  if (typeof panel === "string" && (PANELS as readonly string[]).includes(panel)) return panel as SharePanel;
  throw new ShareLinkError(`panel must be ${PANELS.map((p) => `"${p}"`).join(" or ")}, not ${quote(panel)}`);
}

/** A version-1 configuration as the machine the page's own options would build for it. */
export function contentFromConfig(config: ShareConfig): ShareContent {
  const disk = config.disk === "opfs" ? PAGE_DISK : undefined;
  const network = { kind: config.network, policy: config.policy };
  const { cmdline: _, ...machine } = pageMachine({ ...pageMachineOptions(disk), memoryMiB: config.memoryMiB }, disk, network);
  return { machine, cmdlineExtras: config.cmdlineExtras, script: config.script, panel: config.panel };
}

/**
 * What the Share button offers for a running machine: its devices and the parameters it
 * added to the page's command line. A relay, wisp or fetch card cannot be shared: it is offered on the
 * host network instead (with the host's addresses rather than DHCP). A shared folder is
 * left out: it holds this browser's own files, and a link that mounted the opener's folder
 * could have its script read them (and send them away over the network card). The focus of
 * the link the page was opened from, if any, is kept.
 */
export function contentOfMachine(running: MachineDescription, script: string, panel: SharePanel, focus?: ShareFocus): ShareContent {
  const { machine, cmdlineExtras } = linkMachineOf(running);
  const devices = machine.devices.filter((d) => d.type !== "virtio-9p").map((d) =>
    d.type === "virtio-net" && (d.options.backend.kind === "relay" || d.options.backend.kind === "wisp" || d.options.backend.kind === "fetch")
      ? { ...d, options: { ...d.options, backend: { kind: "host" as const }, ip: d.options.ip === "dhcp" ? ("auto" as const) : d.options.ip } }
      : d,
  );
  const content: ShareContent = { machine: { ...machine, devices }, cmdlineExtras, script, panel };
  // The focus a link came with goes on, while its device does.
  return focus && devices.some((d) => d.type === focus.device) ? { ...content, focus } : content;
}
