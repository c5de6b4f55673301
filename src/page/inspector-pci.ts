// The PCI functions on bus 0, ours and v86's: address, IDs, class, BARs, interrupt line.
// The list only changes when the guest programs a BAR or the bus gains a function, so
// the table is rebuilt only when its content differs from what is shown.
import type { PciFunctionView } from "../worker/api.js";
import { address, hex, irqPin, pciAddress, size } from "./inspector-format.js";
import { cell, createDataTable, linesCell, type Column, type DataTable } from "./inspector-table.js";

export const PCI_COLUMNS: readonly Column[] = [
  ["address", "pci.address"], ["vendor:device", "pci.ids"], ["class", "pci.class"], ["name", "pci.name"], ["BARs", "pci.bars"],
  ["IRQ pin → line", "pci.irq"], ["command", "pci.command"],
];

export type PciTable = DataTable<PciFunctionView>;

export function barText(bar: PciFunctionView["bars"][number]): string {
  const where = bar.kind === "io" ? hex(bar.address, 4) : address(bar.address);
  return `BAR${bar.index} ${bar.kind} ${where} (${size(bar.size)})`;
}

export function createPciTable(): PciTable {
  return createDataTable<PciFunctionView>("pci-table", PCI_COLUMNS, (f) => {
    const row = document.createElement("tr");
    row.className = f.ours ? "ours" : "v86";
    row.dataset.address = f.address;
    const ids = `${f.vendorId.toString(16).padStart(4, "0")}:${f.deviceId.toString(16).padStart(4, "0")}`;
    const irq = f.irqPin === 0 ? "–" : `${irqPin(f.irqPin)} → ${f.irqLine === 0xff ? "none" : f.irqLine}`;
    const name = cell(f.name, "name");
    if (!f.ours) name.append(Object.assign(document.createElement("span"), { className: "origin", textContent: " (v86)" }));
    row.append(
      cell(pciAddress(f.address), "mono"), cell(ids, "mono"), cell(f.classCode, "mono"), name, linesCell(f.bars.map(barText), "–"),
      cell(irq, "irq"), cell(hex(f.command, 4), "mono"),
    );
    return row;
  });
}
