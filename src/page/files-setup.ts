// Which shared folder the Files panel shows: the running machine's first share in this
// browser's storage (a restored state's machine may have none, or another folder), at the
// place its guest mounts it. Kept apart from main.ts so the page's boot code stays a list of steps.
import type { MachineDescription } from "../worker/api.js";
import type { Connected } from "./connect.js";
import { createFilesPanel, type FilesPanel } from "./files-panel.js";

/** The panel for `machine`'s shared folder in OPFS, or none (the panel stays hidden). */
export function showFilesPanel(machine: MachineDescription | null, panel: HTMLElement, { api, proxy }: Connected): FilesPanel | undefined {
  for (const d of machine?.devices ?? []) {
    if (d.type !== "virtio-9p" || d.options.backend.kind !== "opfs") continue;
    const share = d.options.backend.name;
    return createFilesPanel(panel, {
      list: (path) => api.listShare(share, path),
      write: (files, onProgress) => api.writeShareFiles(share, files, proxy(onProgress)),
      read: (path, onProgress) => api.readShareFile(share, path, proxy(onProgress)),
      zip: (path, onProgress) => api.zipShareFolder(share, path, proxy(onProgress)),
    }, d.options.mountPoint ?? `/mnt/${d.options.tag}`);
  }
  return undefined;
}
