// Which kernel compression boots fastest under v86? Boots the same machine with bzImages
// built with different compressions and reports decompression time and boot-to-shell.
//
//   images/build.sh --compression xz --out /tmp/img-xz     (likewise gzip, lz4)
//   npx tsx bench/compression.ts xz=/tmp/img-xz gzip=/tmp/img-gzip lz4=images
//
// Each folder must hold a complete image set (build.sh --out writes one). The variants
// take turns, run by run. The figures are recorded in images/README.md.
import { statSync } from "node:fs";
import { join } from "node:path";
import { bootNodeOnce } from "./boot-node.js";
import type { BootBreakdown } from "./boot-phases.js";
import { formatMs, summarize } from "./stats.js";

const runs = Number(process.env.RUNS ?? 5);
const variants = process.argv.slice(2).map((arg) => {
  const [name, dir] = arg.split("=");
  if (!name || !dir) throw new Error(`expected NAME=DIR, got ${arg}`);
  return { name, dir, size: statSync(join(dir, "bzImage")).size, runs: [] as BootBreakdown[] };
});
if (variants.length === 0) throw new Error("usage: npx tsx bench/compression.ts NAME=DIR ...");

await bootNodeOnce(variants[0]!.dir); // warm-up
for (let i = 0; i < runs; i++) {
  for (const v of variants) v.runs.push(await bootNodeOnce(v.dir));
}
console.log("compression | bzImage bytes | decompression ms (min / median / max) | boot to shell ms (min / median / max)");
for (const v of variants) {
  const d = summarize(v.runs.map((r) => r.decompress));
  const t = summarize(v.runs.map((r) => r.total));
  console.log(`${v.name} | ${v.size} | ${formatMs(d)} | ${formatMs(t)}`);
}
process.exit(0);
