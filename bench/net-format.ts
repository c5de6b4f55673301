// The network section's table: every card, both directions, with our shared channel's
// ratio to each of the others.
import { CARDS, type NetResults, type NetScenario } from "./net-bench.js";

export function formatNet(net: NetResults): string {
  const n = (x: number) => x.toFixed(1);
  const range = (v: { min: number; median: number; max: number } | null) => (v ? `${n(v.min)} / ${n(v.median)} / ${n(v.max)}` : "-");
  const lines = ["net (min / median / max) | MiB/s | kicks per MiB | interrupts per MiB | packets per MiB"];
  const scenarioOf = (key: string) => net[key] as NetScenario | undefined;
  for (const direction of ["host_to_guest", "guest_to_host", "guest_to_host_bulk"]) {
    for (const card of Object.keys(CARDS)) {
      const s = scenarioOf(`${card}_${direction}`);
      if (s) lines.push(`${card} ${direction} | ${range(s.mib_per_s)} | ${range(s.kicks_per_mib)} | ${range(s.irqs_per_mib)} | ${range(s.packets_per_mib)}`);
    }
    const ours = scenarioOf(`ours_shared_${direction}`);
    const others = Object.keys(CARDS).filter((c) => c !== "ours_shared");
    if (ours) {
      const ratios = others.map((c) => {
        const o = scenarioOf(`${c}_${direction}`);
        return o ? `${c} ${(ours.mib_per_s.median / o.mib_per_s.median).toFixed(2)}` : undefined;
      });
      lines.push(`ours_shared / others, ${direction} (MiB/s medians): ${ratios.filter(Boolean).join(", ")}`);
    }
  }
  if (typeof net.note === "string") lines.push(net.note);
  return lines.join("\n");
}
