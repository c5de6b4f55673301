// Message-signalled interrupts into v86's local APIC, without a patch to v86.
//
// On a PC an MSI is a memory write of the message data to 0xFEExxxxx, which the local
// APIC takes for an interrupt (Intel SDM vol. 3, 11.11): address bits 12-19 name the
// destination APIC, data bits 0-7 the vector, 8-10 the delivery mode, 15 the trigger mode.
// v86 has no entry point for that: its APIC lives in its WebAssembly module, which exports
// only the address of its state (`get_apic_addr`) and `handle_irqs`. v86's own delivery of
// a fixed interrupt (apic.rs `deliver`) sets the vector's IRR bit and its TMR bit for a
// level-triggered one, clears it for an edge; `handle_irqs` then takes the highest
// pending vector if the guest's IF allows. This module does the same to the same memory.
//
// Only fixed and lowest-priority edge messages exist here (one CPU: lowest priority is
// fixed); a level-triggered message would need an EOI broadcast back to the device, and
// SMI, NMI, INIT and ExtINT mean nothing to a virtio device. Those are logged once and
// dropped, as are messages for another address or with a vector below 16 (reserved for
// exceptions; v86 asserts on them). The destination is not checked: v86 routes its
// IO-APIC's messages to its one CPU whatever they name, and so does this.
import type { V86ApicCpu, V86Cpu } from "./internals.js";
import { apicCpuOf, V86_APIC_LAYOUT } from "./internals.js";

const MSI_ADDRESS_MASK = 0xfff0_0000;
const MSI_ADDRESS_BASE = 0xfee0_0000;
const DELIVERY_FIXED = 0;
const DELIVERY_LOWEST_PRIORITY = 1;
const TRIGGER_LEVEL = 1 << 15;
/** Vectors 0-15 are exceptions; an APIC reports them as an illegal vector. */
const FIRST_VALID_VECTOR = 16;

export interface MsiDelivery {
  /** Sets the message's vector pending in the APIC; true if it was a message this PC takes. */
  post(address: number, data: number): boolean;
}

/** Delivery into v86's APIC state in its wasm memory; `log` hears about each kind of dropped message once. */
export function createV86MsiDelivery(cpu: V86ApicCpu, log: (message: string) => void): MsiDelivery {
  const base = cpu.get_apic_addr();
  // The APIC struct sits in the wasm memory, which can grow (its buffer is then replaced).
  let view = new Uint32Array(cpu.wasm_memory.buffer, base, V86_APIC_LAYOUT.words);
  const apic = (): Uint32Array => {
    if (view.buffer !== cpu.wasm_memory.buffer) view = new Uint32Array(cpu.wasm_memory.buffer, base, V86_APIC_LAYOUT.words);
    return view;
  };
  const told = new Set<string>();
  const drop = (what: string): false => {
    if (!told.has(what)) {
      told.add(what);
      log(`MSI dropped (${what}); further ones like it are dropped silently`);
    }
    return false;
  };

  return {
    post(address: number, data: number): boolean {
      if (address > 0xffff_ffff || ((address >>> 0) & MSI_ADDRESS_MASK) >>> 0 !== MSI_ADDRESS_BASE) {
        return drop(`address 0x${address.toString(16)} is not the local APIC's`);
      }
      const mode = (data >>> 8) & 7;
      if (mode !== DELIVERY_FIXED && mode !== DELIVERY_LOWEST_PRIORITY) return drop(`delivery mode ${mode}`);
      if (data & TRIGGER_LEVEL) return drop("level-triggered");
      const vector = data & 0xff;
      if (vector < FIRST_VALID_VECTOR) return drop(`vector ${vector}`);
      const regs = apic();
      const word = vector >>> 5;
      const bit = 1 << (vector & 31);
      regs[V86_APIC_LAYOUT.irr + word] = regs[V86_APIC_LAYOUT.irr + word]! | bit;
      regs[V86_APIC_LAYOUT.tmr + word] = regs[V86_APIC_LAYOUT.tmr + word]! & ~bit;
      return true;
    },
  };
}

/** The platform's side of MSIs: delivery when v86 has its APIC, and when to take them. */
export interface MsiSignal {
  readonly hasApic: boolean;
  /** Posts a message; `insideMmio`: the guest is in the middle of an MMIO access. */
  signal(address: number, data: number, insideMmio: boolean): void;
  /** Between slices: takes a message posted inside an MMIO access. */
  deliverDeferred(): void;
}

export function createMsiSignal(v86Cpu: V86Cpu, log: (message: string) => void): MsiSignal {
  const cpu = apicCpuOf(v86Cpu);
  const delivery = cpu ? createV86MsiDelivery(cpu, log) : undefined;
  /** A message was posted inside an MMIO access: v86 is to look at its APIC between slices. */
  let deferred = false;
  let toldNoApic = false;
  return {
    hasApic: cpu !== undefined,
    signal(address, data, insideMmio) {
      if (!cpu || !delivery) {
        if (!toldNoApic) log("MSI dropped: this PC has no local APIC (v86 runs without its acpi option)");
        toldNoApic = true;
        return;
      }
      if (!delivery.post(address, data)) return;
      // As for the INTx lines: inside an MMIO access the vector only waits in the IRR, which
      // v86 looks at after the instruction (iret, sti, EOI, hlt, at the latest its next
      // 100,000 instructions) and we at the next slice. Elsewhere it is taken now, waking a
      // halted CPU.
      if (insideMmio) deferred = true;
      else cpu.handle_irqs();
    },
    deliverDeferred() {
      if (!deferred || !cpu) return;
      deferred = false;
      cpu.handle_irqs();
    },
  };
}
