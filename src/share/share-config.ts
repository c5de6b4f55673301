// What a version-1 share link says about a demo (the page's options: memory, one disk or
// none, one network or none), and the checks that decide whether a decoded link is
// acceptable; version 2 (share-content.ts) reuses the script and kernel-parameter checks.
// A link comes from anyone, so everything here is strict: every field present, nothing
// extra, every value in range. Pure: no DOM, no I/O.
import { MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../worker/api.js";

export type ShareDisk = "opfs" | "none";
/** No relay: a link must never make the reader's browser connect to another server. */
export type ShareNetwork = "host" | "switch" | "none";
export type SharePolicy = "shared" | "per-queue";
export type SharePanel = "terminal" | "inspector";

export interface ShareConfig {
  memoryMiB: number;
  disk: ShareDisk;
  network: ShareNetwork;
  policy: SharePolicy;
  /** Appended to the page's kernel command line, never in place of it. */
  cmdlineExtras: string;
  /** Typed into the guest's shell once it is ready. */
  script: string;
  /** The panel open after boot. */
  panel: SharePanel;
}

export const SHARE_FIELDS = ["memoryMiB", "disk", "network", "policy", "cmdlineExtras", "script", "panel"] as const;
export const DISKS: readonly ShareDisk[] = ["opfs", "none"];
export const NETWORKS: readonly ShareNetwork[] = ["host", "switch", "none"];
export const POLICIES: readonly SharePolicy[] = ["shared", "per-queue"];
export const PANELS: readonly SharePanel[] = ["terminal", "inspector"];

export const MAX_SCRIPT_BYTES = 4096;
export const MAX_CMDLINE_EXTRAS = 256;
/** Printable ASCII, newline and tab: what a person could type, nothing that moves the cursor. */
const SCRIPT_CHARS = /^[\x20-\x7e\n\t]*$/;
/** Kernel parameters without quotes, shell metacharacters or whitespace other than one space. */
const CMDLINE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._,:+/=-]*$/;
/**
 * Parameters the page sets itself or that would take the guest away from the shell the
 * script is typed into: a link adds to the command line but cannot replace these.
 */
const RESERVED_PARAMS = /^(ringside\..*|console|earlyprintk|ip|init|rdinit|root|loglevel|quiet|panic)$/;

/** The one kind of error a share link can cause: the message says what was wrong. */
export class ShareLinkError extends Error {
  override name = "ShareLinkError";
}

/** A value as it may appear in a message: quoted, short, never markup (callers use textContent). */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ShareLinkError(`${field} must be ${allowed.map((a) => `"${a}"`).join(" or ")}, not ${quote(value)}`);
}

export function checkScript(script: unknown): string {
  if (typeof script !== "string") throw new ShareLinkError(`script must be text, not ${quote(script)}`);
  if (script.length > MAX_SCRIPT_BYTES) {
    throw new ShareLinkError(`script is ${script.length} characters long; at most ${MAX_SCRIPT_BYTES} are allowed`);
  }
  if (!SCRIPT_CHARS.test(script)) {
    // Counted in characters (code points), as a person reads the script.
    const chars = [...script];
    const at = chars.findIndex((c) => !SCRIPT_CHARS.test(c));
    const code = chars[at]?.codePointAt(0) ?? 0;
    throw new ShareLinkError(
      `script has a forbidden character (U+${code.toString(16).toUpperCase().padStart(4, "0")}) at position ${at}: ` +
        "only printable ASCII, newline and tab are allowed",
    );
  }
  return script;
}

export function checkCmdlineExtras(extras: unknown): string {
  if (typeof extras !== "string") throw new ShareLinkError(`cmdlineExtras must be text, not ${quote(extras)}`);
  if (extras.length > MAX_CMDLINE_EXTRAS) {
    throw new ShareLinkError(`cmdlineExtras is ${extras.length} characters long; at most ${MAX_CMDLINE_EXTRAS} are allowed`);
  }
  if (extras === "") return extras;
  for (const token of extras.split(" ")) {
    if (!CMDLINE_TOKEN.test(token)) {
      throw new ShareLinkError(
        `cmdlineExtras has a forbidden parameter ${quote(token)}: parameters are separated by single spaces and use ` +
          "only letters, digits and . _ , : + / = -",
      );
    }
    const name = token.split("=")[0] ?? "";
    if (RESERVED_PARAMS.test(name)) {
      throw new ShareLinkError(`cmdlineExtras may not set ${quote(name)}: the page sets it, a link can only add parameters`);
    }
  }
  return extras;
}

function checkMemory(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_MEMORY_MIB || value > MAX_MEMORY_MIB) {
    throw new ShareLinkError(`memoryMiB must be a whole number from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}, not ${quote(value)}`);
  }
  return value;
}

function checkNetwork(value: unknown): ShareNetwork {
  if (value === "relay" || value === "wisp" || (typeof value === "string" && /^wss?:/i.test(value))) {
    const kind = value === "wisp" ? "wisp" : "relay";
    throw new ShareLinkError(
      `network cannot be a ${kind === "wisp" ? "wisp server" : "relay"} in a share link: it would make this browser connect to a server the link chose ` +
        `(open the page with ?net=${kind}&${kind}=... yourself instead)`,
    );
  }
  if (value === "fetch") {
    throw new ShareLinkError("network cannot be fetch in a share link: the link's guest would make this browser send requests where it likes (open the page with ?net=fetch yourself instead)");
  }
  return oneOf("network", value, NETWORKS);
}

/** Checks a decoded link's content field by field; the first problem found is the error. */
export function checkShareConfig(value: unknown): ShareConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ShareLinkError(`the link's content must be an object with ${SHARE_FIELDS.join(", ")}, not ${quote(value)}`);
  }
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !(SHARE_FIELDS as readonly string[]).includes(k));
  if (extra.includes("relay") || extra.includes("relayUrl") || extra.includes("wisp")) {
    throw new ShareLinkError(`a share link cannot carry a ${extra.includes("wisp") ? "wisp server's" : "relay"} address: it would make this browser connect to a server the link chose`);
  }
  if (extra.length > 0) throw new ShareLinkError(`the link has unknown fields: ${extra.map((k) => quote(k)).join(", ")}`);
  const missing = SHARE_FIELDS.filter((k) => !Object.hasOwn(record, k));
  if (missing.length > 0) throw new ShareLinkError(`the link lacks fields: ${missing.join(", ")}`);
  return {
    memoryMiB: checkMemory(record.memoryMiB),
    disk: oneOf("disk", record.disk, DISKS),
    network: checkNetwork(record.network),
    policy: oneOf("policy", record.policy, POLICIES),
    cmdlineExtras: checkCmdlineExtras(record.cmdlineExtras),
    script: checkScript(record.script),
    panel: oneOf("panel", record.panel, PANELS),
  };
}
