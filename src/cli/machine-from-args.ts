// The machine the CLI's arguments describe: --machine FILE as it is; otherwise the console
// and the rng, the --disk file, the --net card, the --share folders and the --balloon
// (shorthands), then each --device
// in order; with --restore, the state's own machine with its disks on the --disk files.
import { readFileSync } from "node:fs";
import type { DeviceDescription, MachineDescription } from "../description/machine-description.js";
import { MACHINE_DESCRIPTION_VERSION } from "../description/machine-description.js";
import { DescriptionError, parseMachineDescription, parseMachineJson } from "../description/parse-machine.js";
import { parseDeviceOption } from "../description/device-option.js";
import { backendNeed, countNeeding, withDiskBackend } from "../description/backend-need.js";
import type { CliArgs } from "./args.js";
import { errorMessage } from "../util/error-message.js";

/** The description to boot from the arguments (a state's machine is handled by forRestore). */
export function machineFromArgs(args: CliArgs): MachineDescription {
  if (args.machineFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(args.machineFile, "utf8");
    } catch (e) {
      throw new DescriptionError(`cannot read the machine file ${args.machineFile}: ${errorMessage(e)}`);
    }
    return parseMachineJson(text, args.machineFile);
  }
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport: { kind: "pci" } },
    { type: "virtio-rng", transport: { kind: "pci" } },
  ];
  const [disk] = args.disks;
  if (disk !== undefined) {
    devices.push({
      type: "virtio-blk",
      transport: { kind: "pci" },
      options: { backend: { kind: "file", path: disk, ...(args.diskSizeMiB !== undefined ? { createSizeMiB: args.diskSizeMiB } : {}) }, readOnly: args.diskReadOnly },
    });
  }
  if (args.net !== "none") {
    devices.push({ type: "virtio-net", transport: { kind: "pci" }, options: { backend: args.net, policy: args.policy, ip: "auto" } });
  }
  args.shares.forEach((share, i) => {
    devices.push({
      type: "virtio-9p", transport: { kind: "pci" },
      options: { backend: { kind: "directory", path: share.path }, tag: i === 0 ? "host" : `host${i + 1}`, readOnly: share.readOnly },
    });
  });
  if (args.balloonMiB !== undefined) {
    devices.push({ type: "virtio-balloon", transport: { kind: "pci" }, options: { targetMiB: args.balloonMiB } });
  }
  for (const spec of args.devices) devices.push(parseDeviceOption(spec));
  const boot = args.boot === "disk"
    ? { kind: "disk" }
    : args.kernel !== undefined
      ? { kind: "kernel", kernel: { kind: "file", path: args.kernel }, ...(args.initrd !== undefined ? { initrd: { kind: "file", path: args.initrd } } : {}) }
      : undefined;
  return parseMachineDescription({ version: MACHINE_DESCRIPTION_VERSION, memoryMiB: args.memoryMiB, cmdline: args.cmdline, ...(boot ? { boot } : {}), devices });
}

/**
 * A saved state's machine, its disks put on the --disk files in order (each file's size
 * must be the state's disk's; the restore checks it and replaces the contents).
 */
export function forRestore(saved: MachineDescription, disks: readonly string[], stateFile: string, createSizeMiB?: number): MachineDescription {
  const count = countNeeding(saved.devices, "disk");
  if (disks.length !== count) {
    const given = disks.length > 0 ? ` (${disks.length} given)` : "";
    throw new DescriptionError(
      count === 1
        ? `${stateFile} was saved with a disk: give --disk PATH (a file of the same size; the state's disk contents replace it)${given}`
        : `${stateFile} was saved with ${count} disks: give --disk PATH ${count} times (files of the same sizes, in order; the state's disk contents replace theirs)${given}`,
    );
  }
  let next = 0;
  const devices = saved.devices.map((d): DeviceDescription =>
    backendNeed(d).kind === "disk" ? withDiskBackend(d, { kind: "file", path: disks[next++]!, ...(createSizeMiB !== undefined ? { createSizeMiB } : {}) }) : d,
  );
  return { ...saved, devices };
}
