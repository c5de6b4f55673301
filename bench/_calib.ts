import { startDeviceMachine } from "./device-machine.js";
import { openV86Console, prepareConsoleFile, runOurConsole, runV86Console } from "./console-bench.js";
import { runRng } from "./rng-bench.js";
const t0 = performance.now();
const m = await startDeviceMachine();
console.log("boot", performance.now() - t0, m.virtioNames);
let t = performance.now();
const f = await prepareConsoleFile(m, 9);
console.log("prep", performance.now() - t, f);
t = performance.now();
console.log("node", await openV86Console(m), performance.now() - t);
for (let i = 0; i < 3; i++) {
  t = performance.now(); console.log("ours", await runOurConsole(m, f), performance.now() - t);
  t = performance.now(); console.log("v86", await runV86Console(m, f), performance.now() - t);
}
for (const k of [64, 256]) { t = performance.now(); console.log("rng", k, await runRng(m, k), performance.now() - t); }
console.log(await m.sh("cat /proc/interrupts | head -12"));
await m.destroy();
process.exit(0);
