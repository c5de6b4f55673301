// Where the guest mounts its shared folders: rc.boot mounts every 9P tag it finds at
// /mnt/TAG, unless the command line says ringside.9p=TAG,PATH (the description's
// mountPoint). Tags and paths are checked by the description's parser: no spaces or commas.
import type { DeviceDescription } from "../description/machine-description.js";

export function shareMountCmdline(cmdline: string, devices: readonly DeviceDescription[]): string {
  const params = devices.flatMap((d) => (d.type === "virtio-9p" && d.options.mountPoint ? [`ringside.9p=${d.options.tag},${d.options.mountPoint}`] : []));
  return [cmdline, ...params].join(" ").trim();
}
