// How the page boots from a share link: the link's machine takes the place of the URL's
// machine options (?net, ?policy, ?relay, ?disk, ?start) for that boot, on the page's
// kernel command line plus the link's parameters, and its script is typed into the shell.
// No DOM.
import type { MachineDescription } from "../worker/api.js";
import { readPageOptions, type PageOptions } from "./page-options.js";
import { ShareLinkError } from "../share/share-config.js";
import type { ShareContent } from "../share/share-content.js";
import { linkBootMachine } from "../share/link-machine.js";
import { decodeShareFragment } from "../share/share-link.js";
import { errorMessage } from "../util/error-message.js";

/**
 * Query options that a link replaces; ?thread, ?scheduler and ?jit still apply (they are not
 * the demo). A link boots cold: its machine is not the shipped snapshot's.
 */
export const LINK_REPLACES = ["net", "policy", "relay", "disk", "start", "boot", "share"] as const;

export interface LinkBoot {
  content: ShareContent;
  /** The machine to boot: the link's devices on the page's command line and the link's parameters. */
  machine: MachineDescription;
  /** The page's options as the link's machine answers them (disk: whether it has one in this browser's storage). */
  pageOptions: PageOptions;
  /** The query options present in the address that the link overrode ("?net=switch"). */
  overridden: string[];
}

/**
 * The boot a link asks for; null when the address has no share link. Throws a
 * ShareLinkError for any bad link, before anything has started.
 */
export async function readShareLink(hash: string, search: string): Promise<LinkBoot | null> {
  const content = await decodeShareFragment(hash);
  if (!content) return null;
  const params = new URLSearchParams(search);
  const overridden = LINK_REPLACES.filter((k) => params.has(k)).map((k) => `?${k}=${params.get(k) ?? ""}`);
  for (const k of LINK_REPLACES) params.delete(k);
  const { devices } = content.machine;
  const card = devices.find((d) => d.type === "virtio-net");
  // A link has no relay (link-machine.ts), so the first card is on the host or a switch.
  params.set("net", card?.type === "virtio-net" && card.options.backend.kind !== "relay" ? card.options.backend.kind : "none");
  if (card?.type === "virtio-net") params.set("policy", card.options.policy);
  params.set("disk", devices.some((d) => d.type === "virtio-blk" && d.options.backend.kind === "opfs") ? "opfs" : "none");
  // Never this browser's shared folder: the link's script could read it (link-machine.ts refuses one).
  params.set("share", "none");
  let pageOptions: PageOptions;
  try {
    // The same checks as any address: ?thread=main cannot have the browser's disk.
    pageOptions = readPageOptions(`?${params.toString()}`);
  } catch (err) {
    throw new ShareLinkError(`the link cannot boot with this address's options: ${errorMessage(err)}`);
  }
  return { content, machine: linkBootMachine(content.machine, content.cmdlineExtras), pageOptions, overridden };
}

/**
 * The script as keystrokes: Enter sends a carriage return, as from the keyboard, and the
 * last line is entered too.
 */
export function scriptKeystrokes(script: string): string {
  if (script === "") return "";
  const text = script.endsWith("\n") ? script : `${script}\n`;
  return text.replace(/\n/g, "\r");
}
