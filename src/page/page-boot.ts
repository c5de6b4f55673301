// What this page load boots, and the way back from it: a share link's machine boots what
// the link names (the bundled images unless it gives addresses); otherwise the page's own
// machine boots the Boot panel's kept choice (boot-choice.ts) with its command line, unless
// the page's options already chose a boot of their own. "Use the bundled images" forgets
// the choice (or, for a link, opens the same link without its kernel) and loads the page
// afresh. No DOM but the address.
import type { MachineDescription } from "../worker/api.js";
import type { ShareContent } from "../share/share-content.js";
import { encodeShareFragment } from "../share/share-link.js";
import { bootUrls, runsRingsideUserspace } from "../share/boot-words.js";
import { bootOfChoice, imageLabel, type BootChoice } from "./boot-choice.js";
import { forgetBootChoice } from "./boot-choice-store.js";
import type { BootOwner, ShownNames } from "./boot-words.js";

export interface PageBoot {
  machine: MachineDescription;
  /** Whose kernel boots: the user's, the link's; undefined for the bundled images. */
  owner: BootOwner | undefined;
  /** The names to show for the booted files (the picked files' own names, or the addresses). */
  names: ShownNames;
  /** Addresses the machine fetches its kernel or initrd from (a link's wait for the reader's yes). */
  urls: { kernel?: string; initrd?: string };
  /** Whether ringside's initrd runs (its rc.boot mounts the disk, its shell prints the prompt). */
  ringsideUserspace: boolean;
  /** Back to the bundled images, in one step; undefined when they are what boots. */
  backToBundled?: () => Promise<void>;
}

/** Loads the page again from scratch: no link, no ?start=snapshot (the choice would not boot under either). */
export function loadAfresh(): void {
  const url = new URL(location.href);
  url.hash = "";
  url.searchParams.delete("start");
  location.assign(url.href);
}

export function planPageBoot(base: MachineDescription, link: ShareContent | undefined, choice: BootChoice | null): PageBoot {
  if (link) {
    const boot = base.boot;
    const urls = bootUrls(boot);
    const foreign = boot !== undefined && !(boot.kind === "kernel" && boot.kernel.kind === "bundled" && boot.initrd?.kind === "bundled");
    return {
      machine: base,
      owner: foreign ? "link" : undefined,
      names: { ...(urls.kernel ? { kernel: urls.kernel } : {}), ...(urls.initrd ? { initrd: urls.initrd } : {}) },
      urls,
      ringsideUserspace: runsRingsideUserspace(boot),
      ...(foreign ? { backToBundled: () => openLinkWithBundledImages(link) } : {}),
    };
  }
  if (!choice || base.boot !== undefined) return { machine: base, owner: undefined, names: {}, urls: {}, ringsideUserspace: runsRingsideUserspace(base.boot) };
  const boot = bootOfChoice(choice);
  return {
    machine: { ...base, cmdline: choice.cmdline, boot },
    owner: "yours",
    names: { kernel: imageLabel(choice.kernel), ...(choice.initrd ? { initrd: imageLabel(choice.initrd) } : {}) },
    urls: bootUrls(boot),
    ringsideUserspace: false,
    backToBundled: async () => {
      await forgetBootChoice();
      loadAfresh();
    },
  };
}

/** The same link without its kernel and initrd: its machine on the bundled images. */
async function openLinkWithBundledImages(content: ShareContent): Promise<void> {
  const { boot: _, ...machine } = content.machine;
  location.hash = await encodeShareFragment({ ...content, machine });
}
