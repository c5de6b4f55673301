// QEMU's PCI hotplug ports answered quietly for ACPI kernels when v86's APIC (and with it
// its ACPI) is on: see quietAcpiHotplugPorts.
import type { V86Cpu } from "./internals.js";

/**
 * QEMU's PIIX4 PCI hotplug registers (ports 0xAE00-0xAE13: up, down, eject, removable,
 * select). SeaBIOS's DSDT reads them when ACPI is on (its hotplug event handler) and v86
 * has none: unclaimed ports read all ones, which an ACPI kernel takes for "every slot was
 * unplugged" and ejects our devices. Reading 0 means "nothing happened". (Debian's kernel
 * booted here with the APIC on ejected nothing with or without this, the event never
 * firing; the ports are answered anyway.) Claims only ports v86 left unclaimed.
 */
export function quietAcpiHotplugPorts(cpu: V86Cpu): void {
  const HOTPLUG_PORTS = 0xae00;
  const COUNT = 0x14;
  for (let port = HOTPLUG_PORTS; port < HOTPLUG_PORTS + COUNT; port++) {
    const entry = cpu.io.ports[port];
    if (entry && entry.device !== undefined && entry.device !== QUIET_PORT) continue;
    cpu.io.ports[port] = {
      device: QUIET_PORT,
      read8: () => 0,
      read16: () => 0,
      read32: () => 0,
      write8: () => {},
      write16: () => {},
      write32: () => {},
    };
  }
}

/** Marks the hotplug port entries as ringside's. */
const QUIET_PORT = Object.freeze({ name: "ringside acpi hotplug (quiet)" });
