// Makes the instant shell's snapshot: images/shell.state and the record of what it was
// made from, images/shell.state.json (src/machine/shell-state.ts). The page takes it up
// with ?start=snapshot (the header's "Instant shell") for a shell without booting.
//
//   npx tsx images/make-shell-state.ts [--out DIR]
//
// Run it again after anything that changes the machine it holds: images/build.sh (kernel,
// initramfs, firmware), a v86 update, or a change to the devices or their saved state. A
// stale snapshot is refused with a message that says so, and the page boots cold instead
// and shows why (tests/unit/shell-state.test.ts fails on a stale one).
//
// The machine is the one the page's worker builds for ?start=snapshot, from the page's own
// code: no disk (so restoring it never touches anyone's persistent disk), the host network,
// the page's default options and kernel command line. It waits for the first prompt by
// watching the console, not with ShellSession (which switches echo off and empties PS1:
// the user must get a normal shell), lets the guest settle, and saves.
//
// Before saving, the guest's free memory is zeroed: v86 saves only the pages of guest RAM
// that are not all zeros, and after a boot the free pages still hold what was there (the
// freed initramfs archive, the compressed kernel, the firmware's copies). One dd reads
// /dev/zero into a buffer as large as the free memory (less a margin the kernel keeps
// for itself), so the kernel hands it nearly every free page, zeroed, and takes them back
// as zeros when dd exits. The same command ends that shell (`exit`): init starts a new
// one, and the user's shell is that fresh login shell, without the command in its history.
// The machine has no disk, so its initramfs has no e2fsprogs archive (src/machine/
// bundled-initrd.ts): 1.4 MB of xz that gzip could not have shrunk.
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine } from "../src/machine/machine.js";
import { bundledBootImages } from "../src/machine/boot-images.js";
import { PROMPT_PATTERN } from "../src/machine/prompt.js";
import { readMachineState } from "../src/machine/machine-state.js";
import { imageDigests, SHELL_STATE_FILE, SHELL_STATE_RECORD, type ShellStateRecord } from "../src/machine/shell-state.js";
import { decodeStateFile } from "../src/snapshot/state-file.js";
import { sha256Hex } from "../src/util/sha256-hex.js";
import { loadImages, loadV86Wasm } from "../src/node/node-images.js";
import { readPageOptions } from "../src/page/page-options.js";
import { pageMachine, pageMachineOptions } from "../src/share/page-machine.js";
import { openWorkerBackends } from "../src/worker/worker-backends.js";
import { errorMessage } from "../src/util/error-message.js";
import { formatMiB } from "../src/util/format-bytes.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const BOOT_TIMEOUT_MS = 120_000;
/** After the prompt: time for the kernel's deferred work (and the shell's terminal query) to finish. */
const SETTLE_MS = 1000;
/** MiB of free memory left out of the zeroing: the kernel's reserve, so nothing runs short. */
const ZERO_MARGIN_MIB = 16;
const ZERO_FREE_MEMORY =
  `dd if=/dev/zero of=/dev/null count=1 bs=$(awk '/^MemFree:/ { print int($2 / 1024) - ${ZERO_MARGIN_MIB} }' /proc/meminfo)M; exit\r`;
/** What dd prints when it has read the whole buffer: the prompt after it is the fresh shell's. */
const ZEROED = "1+0 records out";

function log(message: string): void {
  process.stderr.write(`make-shell-state: ${message}\n`);
}

function parseOut(argv: string[]): string {
  if (argv.length === 0) return here;
  if (argv.length === 2 && argv[0] === "--out" && argv[1]) return argv[1];
  throw new Error("usage: npx tsx images/make-shell-state.ts [--out DIR]");
}

async function untilPrompt(screen: () => string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (!PROMPT_PATTERN.test(screen())) {
    if (Date.now() > deadline) throw new Error(`no shell prompt within ${BOOT_TIMEOUT_MS / 1000} s; the console shows:\n${screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function main(): Promise<void> {
  const out = parseOut(process.argv.slice(2));
  const page = readPageOptions("?start=snapshot");
  if (page.disk !== "none") throw new Error("the instant shell's machine must have no disk");
  const description = pageMachine(pageMachineOptions(undefined), undefined, page.network);
  const [images, wasm] = await Promise.all([loadImages(here), loadV86Wasm()]);
  // The worker's own way of opening the page's backends: the host network it saves.
  const opened = await openWorkerBackends(description, log);
  const decoder = new TextDecoder();
  let recent = "";
  const machine = await Machine.start({
    images: bundledBootImages(images, description.devices),
    wasm,
    description,
    backends: opened.backends,
    hooks: {
      console: (bytes) => {
        recent = (recent + decoder.decode(bytes, { stream: true })).slice(-4096);
      },
      serial: () => {},
      log,
    },
  });
  let state: Uint8Array;
  try {
    await untilPrompt(() => recent);
    log("the shell is up; zeroing the free memory, then a fresh shell");
    recent = "";
    machine.sendInput(ZERO_FREE_MEMORY);
    // The echoed command may wrap and be redrawn with the old prompt: only the prompt after dd's report counts.
    await untilPrompt(() => (recent.includes(ZEROED) ? recent.slice(recent.indexOf(ZEROED)) : ""));
    log("the fresh shell is up; letting the guest settle");
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    state = await machine.saveState();
  } finally {
    await machine.destroy();
  }

  // It must read back as the machine the page builds for it.
  const { header } = readMachineState(await decodeStateFile(state));
  const built = { ...description, devices: header.machine.devices.map((d, i) => ({ ...description.devices[i], transport: d.transport })) };
  if (header.diskSectors.length !== 0 || header.networksSaved.join() !== "true" || JSON.stringify(header.machine) !== JSON.stringify(built)) {
    throw new Error(`the saved state is not the instant shell's machine: ${JSON.stringify(header)}`);
  }
  const record: ShellStateRecord = { images: await imageDigests(images), stateSha256: await sha256Hex(state), madeAt: new Date().toISOString() };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, SHELL_STATE_FILE), state);
  await writeFile(join(out, SHELL_STATE_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  const shown = relative(process.cwd(), out) || ".";
  log(`wrote ${join(shown, SHELL_STATE_FILE)} (${formatMiB(state.length, 2)}) and ${join(shown, SHELL_STATE_RECORD)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(errorMessage(err));
    process.exit(1);
  },
);
