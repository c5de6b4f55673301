// How the page boots from a share link: the link's configuration takes the place of the
// URL's machine options (?net, ?policy, ?relay, ?disk) for that boot, its memory and kernel
// parameters go into the machine options, and its script is typed into the shell. No DOM.
import type { MachineOptions } from "../worker/api.js";
import { readPageOptions, type PageOptions } from "./page-options.js";
import { ShareLinkError, type ShareConfig, type SharePanel } from "../share/share-config.js";
import { decodeShareFragment } from "../share/share-link.js";
import { errorMessage } from "../util/error-message.js";

/**
 * Query options that a link replaces; ?thread and ?scheduler still apply (they are not the
 * demo). A link boots cold: its memory and kernel parameters are not the shipped snapshot's.
 */
export const LINK_REPLACES = ["net", "policy", "relay", "disk", "start"] as const;

export interface LinkBoot {
  config: ShareConfig;
  pageOptions: PageOptions;
  /** The query options present in the address that the link overrode ("?net=switch"). */
  overridden: string[];
}

/**
 * The boot a link asks for; null when the address has no share link. Throws a
 * ShareLinkError for any bad link, before anything has started.
 */
export async function readShareLink(hash: string, search: string): Promise<LinkBoot | null> {
  const config = await decodeShareFragment(hash);
  if (!config) return null;
  const params = new URLSearchParams(search);
  const overridden = LINK_REPLACES.filter((k) => params.has(k)).map((k) => `?${k}=${params.get(k) ?? ""}`);
  for (const k of LINK_REPLACES) params.delete(k);
  params.set("net", config.network);
  params.set("policy", config.policy);
  params.set("disk", config.disk);
  try {
    // The same checks as any address: ?thread=main cannot have the browser's disk.
    return { config, pageOptions: readPageOptions(`?${params.toString()}`), overridden };
  } catch (err) {
    throw new ShareLinkError(`the link cannot boot with this address's options: ${errorMessage(err)}`);
  }
}

/** The page's machine options with the link's memory, and its kernel parameters appended. */
export function machineOptionsForLink(base: MachineOptions, config: ShareConfig): MachineOptions {
  const cmdline = config.cmdlineExtras === "" ? base.cmdline : `${base.cmdline} ${config.cmdlineExtras}`;
  return { memoryMiB: config.memoryMiB, cmdline };
}

/** What the Share button starts from: the link this page came from, or the page's own options. */
export function currentShareConfig(link: LinkBoot | null, pageOptions: PageOptions, options: MachineOptions, panel: SharePanel): ShareConfig {
  if (link) return { ...link.config, panel };
  const { network } = pageOptions;
  return {
    memoryMiB: options.memoryMiB,
    disk: pageOptions.disk,
    // A relay is not shareable: the link offers the host network instead.
    network: network.kind === "relay" ? "host" : network.kind,
    policy: network.policy ?? "shared",
    cmdlineExtras: "",
    script: "",
    panel,
  };
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
