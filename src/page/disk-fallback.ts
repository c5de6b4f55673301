// A share link's machine whose disk another tab holds: only one tab at a time can open a
// disk in this browser's storage, so the link's machine boots without it instead of
// failing (the other tab keeps its disk and its guest untouched).
import type { BootRequest, BootResult, MachineDescription } from "../worker/api.js";
import { isDiskInUse } from "../util/disk-in-use.js";
import { PERSISTENT_DISK_ARG } from "../share/page-machine.js";
import type { ShareBanner } from "./share-banner.js";
import type { BootScreen } from "./boot-screen.js";

export const DISK_IN_OTHER_TAB = "the disk is open in another tab: this machine runs without it";

/**
 * The machine with its disks in this browser's storage left out (disks in memory stay), and
 * without the command line's word that tells the guest its first disk is the persistent one.
 */
export function withoutBrowserDisks(machine: MachineDescription): MachineDescription {
  const devices = machine.devices.filter((d) => !(d.type === "virtio-blk" && d.options.backend.kind === "opfs"));
  const cmdline = machine.cmdline.split(" ").filter((word) => word !== PERSISTENT_DISK_ARG).join(" ");
  return { ...machine, cmdline, devices };
}

/**
 * Boots `request`; when it is a link's machine (`fromLink`) and another tab holds its disk,
 * boots it again without its disks in this browser's storage after `leftOut` has said so.
 */
export async function bootWithoutHeldDisk(boot: (request: BootRequest) => Promise<BootResult>, request: BootRequest, fromLink: boolean, leftOut: () => void): Promise<BootResult> {
  try {
    return await boot(request);
  } catch (err) {
    if (!fromLink || !isDiskInUse(err)) throw err;
    leftOut();
    return await boot({ ...request, machine: withoutBrowserDisks(request.machine) });
  }
}

/** Says it where the reader looks: the banner, the blank terminal's boot screen; the Disk panel goes, as there is no disk. */
export function sayDiskLeftOut(diskPanel: HTMLElement, banner: ShareBanner | undefined, screen: BootScreen): void {
  diskPanel.hidden = true;
  const line = document.createElement("p");
  line.className = "share-banner-disk";
  line.textContent = `Note: ${DISK_IN_OTHER_TAB}.`;
  banner?.insert(line);
  screen.note(DISK_IN_OTHER_TAB);
  document.body.dataset.disk = "in-other-tab";
}
