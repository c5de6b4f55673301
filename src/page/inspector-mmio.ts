// The virtio-mmio windows: where each sits (base address, IRQ) and its registers as the
// driver reads them (magic, version, device ID, status, InterruptStatus, the selected queue
// and every queue's QueueNum/QueueNumMax and QueueReady). Rebuilt only when its content
// differs from what is shown; the panel hides it while the machine has no such device.
import type { MmioDeviceView } from "../worker/api.js";
import { hex } from "./inspector-format.js";
import { cell, createDataTable, linesCell, type Column, type DataTable } from "./inspector-table.js";

export const MMIO_COLUMNS: readonly Column[] = [
  ["window", "mmio.window"], ["IRQ", "mmio.irq"], ["name", "mmio.name"], ["magic", "mmio.magic"], ["version", "mmio.version"],
  ["device ID", "mmio.deviceId"], ["status", "mmio.status"], ["InterruptStatus", "mmio.interruptStatus"], ["QueueSel", "mmio.queueSel"],
  ["queues (num/max, ready)", "mmio.queues"],
];

export type MmioTable = DataTable<MmioDeviceView>;

/** "virt" for the magic value, as the spec spells it, or the number when it is anything else. */
export function magicText(magic: number): string {
  return magic === 0x74726976 ? `${hex(magic, 8)} "virt"` : hex(magic, 8);
}

/** "1 USED_BUFFER", "3 USED_BUFFER|CONFIG_CHANGE", with the line's level. */
export function interruptText(status: number, lineAsserted: boolean): string {
  const names = [status & 1 ? "USED_BUFFER" : "", status & 2 ? "CONFIG_CHANGE" : ""].filter((n) => n !== "");
  return `${status}${names.length > 0 ? ` ${names.join("|")}` : ""} (line ${lineAsserted ? "high" : "low"})`;
}

/** One queue as "0: 256/256 ready". */
export function queueText(q: MmioDeviceView["queues"][number]): string {
  return `${q.index}: ${q.num}/${q.numMax}${q.ready ? " ready" : ""}`;
}

export function createMmioTable(): MmioTable {
  return createDataTable<MmioDeviceView>("pci-table mmio-table", MMIO_COLUMNS, (d) => {
    const row = document.createElement("tr");
    row.className = "ours";
    row.dataset.address = d.address;
    row.append(
      cell(`${hex(d.base, 8)}+0x200`, "mono"), cell(String(d.irq), "irq"), cell(d.label === d.name ? d.name : `${d.label} (${d.name})`, "name"),
      cell(magicText(d.magic), "mono"), cell(String(d.version), "mono"), cell(String(d.deviceId), "mono"), cell(hex(d.status, 2), "mono"),
      cell(interruptText(d.interruptStatus, d.lineAsserted), "mono"), cell(String(d.queueSel), "mono"), linesCell(d.queues.map(queueText)),
    );
    return row;
  });
}
