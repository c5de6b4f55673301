// The Boot panel's and the header's words for a kernel or an initrd: its size, version or
// format and sha256, and what the page is booting ("the bundled kernel 6.1.192", "your
// kernel 6.1.192 from bzImage"). Pure: no DOM.
import type { BootFilesReport, BootFileFacts } from "../worker/api.js";
import { formatBytes } from "../util/format-bytes.js";

/** The first word of a kernel's version string ("6.1.192" of "6.1.192 (ringside@ringside) #1 ..."). */
export function shortVersion(version: string | undefined): string | undefined {
  return version?.split(" ")[0] || undefined;
}

/** "2.2 MiB, Linux 6.1.192, sha256 6f1c..." (the whole digest: it is there to be compared). */
export function factsWords(facts: Pick<BootFileFacts, "bytes" | "version" | "format" | "sha256">): string {
  const what = facts.version ? `Linux ${shortVersion(facts.version)}` : facts.format ? `${facts.format} archive` : undefined;
  return [formatBytes(facts.bytes), what, facts.sha256 ? `sha256 ${facts.sha256}` : undefined].filter((w) => w !== undefined).join(", ");
}

/** Who the booting files belong to: the user's choice, a share link's, or the bundled ones. */
export type BootOwner = "yours" | "link";

/** Names for the booted files the worker knows only by their storage names: the picked files' own names. */
export interface ShownNames {
  kernel?: string;
  initrd?: string;
}

/**
 * The header's line: "the bundled kernel 6.1.192", or "your kernel 6.1.192 from bzImage,
 * your initrd initrd.img" (a link's: "the link's kernel ... from https://..."); before the
 * worker has reported, what was asked for (`names.kernel`: the user's or the link's kernel).
 */
export function bootHeadline(owner: BootOwner, report: BootFilesReport | undefined, names: ShownNames): string {
  const whose = owner === "yours" ? "your" : "the link's";
  if (!report) return names.kernel ? `${whose} kernel from ${names.kernel}` : "the bundled kernel";
  const { kernel, initrd } = report;
  if (!kernel && !initrd) return "no kernel: the firmware boots the first disk";
  if (!kernel || kernel.source === "bundled") {
    const base = `the bundled kernel${kernel?.version ? ` ${shortVersion(kernel.version)}` : ""}`;
    if (!initrd) return `${base}, no initrd`;
    return initrd.source === "bundled" ? base : `${base}, ${whose} initrd ${names.initrd ?? initrd.name}`;
  }
  const version = kernel.version ? ` ${shortVersion(kernel.version)}` : "";
  const initrdWords = !initrd ? "no initrd" : initrd.source === "bundled" ? "the bundled initrd" : `${whose} initrd ${names.initrd ?? initrd.name}`;
  return `${whose} kernel${version} from ${names.kernel ?? kernel.name}, ${initrdWords}`;
}
