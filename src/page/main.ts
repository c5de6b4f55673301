// The page: terminal, boot progress and error panel, wired to the machine through the
// worker API only.
import "./style.css";
import { connect } from "./connect.js";
import { createTerminalView } from "./terminal-view.js";
import { createBootProgressView } from "./boot-progress-view.js";
import { createErrorPanel } from "./error-panel.js";
import { readPageOptions } from "./page-options.js";
import { createSerialLog } from "./serial-log.js";
import { createDiskPanel } from "./disk-panel.js";
import { DEFAULT_OPTIONS, type BootPhase, type DiskRequest, type MachineOptions } from "../worker/api.js";

const WATCHDOG_INTERVAL_MS = 2000;
const WATCHDOG_LIMIT_MS = 15000;

/** The page's disk: kept in this browser's storage (OPFS) across reloads. */
const PAGE_DISK: DiskRequest = { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 };
/**
 * Tells the guest's /etc/rc.boot that /dev/vda is this page's own disk, which it mounts
 * at /mnt and may format (only when it is blank). The CLI never passes it.
 */
const PERSISTENT_DISK_ARG = "ringside.disk=persistent";

function element<T extends HTMLElement>(selector: string): T {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`page markup lacks ${selector}`);
  return el;
}

/** What tests and benchmarks read: the phases reached and when (ms since boot). */
const bootTimes: Partial<Record<BootPhase, number>> = {};
Object.assign(window, { ringsideBoot: bootTimes });

const errorPanel = createErrorPanel(element("#error-panel"));
const progress = createBootProgressView(element("#boot-progress"));

function fail(title: string, message: string): void {
  document.body.dataset.state = "error";
  progress.failed();
  errorPanel.show(title, message);
}

async function start(): Promise<void> {
  document.body.dataset.state = "booting";
  const pageOptions = readPageOptions(location.search);
  const { api, proxy } = await connect(pageOptions.thread, (message) => fail("The machine stopped", message));
  const terminal = createTerminalView(
    element("#terminal"),
    (data) => void api.input(data),
    (cols, rows) => void api.resize(cols, rows),
  );
  terminal.focus();
  // For the console of the browser's devtools (and the tests): the devices' state and
  // counters, fetched through the worker API like everything else.
  Object.assign(window, { ringsideDevices: () => api.devices() });
  const serialLog = createSerialLog(element("#serial-log"));

  const disk = pageOptions.disk === "opfs" ? PAGE_DISK : undefined;
  const options: MachineOptions = disk ? { ...DEFAULT_OPTIONS, cmdline: `${DEFAULT_OPTIONS.cmdline} ${PERSISTENT_DISK_ARG}` } : DEFAULT_OPTIONS;
  if (disk) {
    createDiskPanel(element("#disk-panel"), {
      info: () => api.diskInfo(),
      importImage: (file, onProgress) => api.importDisk(file, proxy(onProgress)),
      exportImage: (onProgress) => api.exportDisk(proxy(onProgress)),
      reset: () => api.resetDisk(),
      reload: () => location.reload(),
    });
  }

  let lastPong = performance.now();
  const watchdog = setInterval(() => {
    if (document.body.dataset.state === "error") return clearInterval(watchdog);
    if (performance.now() - lastPong > WATCHDOG_LIMIT_MS) {
      clearInterval(watchdog);
      fail("The machine stopped", `its worker has not answered for ${WATCHDOG_LIMIT_MS / 1000} s`);
      return;
    }
    api.ping().then(() => { lastPong = performance.now(); }, () => {});
  }, WATCHDOG_INTERVAL_MS);

  await api.boot(
    {
      options,
      disk,
      network: pageOptions.network,
      imagesUrl: new URL(`${import.meta.env.BASE_URL}images/`, location.href).href,
      scheduler: pageOptions.scheduler,
      terminal: terminal.size(),
    },
    proxy({
      console: (bytes: Uint8Array) => terminal.write(bytes),
      serial: (bytes: Uint8Array) => serialLog.write(bytes),
      phase: (phase: BootPhase, ms: number) => {
        bootTimes[phase] = ms;
        progress.phase(phase, ms);
        if (phase === "shell") document.body.dataset.state = "ready";
      },
      loadProgress: (loaded: number, total: number) => progress.loadProgress(loaded, total),
      log: (message: string) => console.info(`[machine] ${message}`),
    }),
  );
}

start().catch((err: unknown) => fail("The machine could not start", err instanceof Error ? err.message : String(err)));
