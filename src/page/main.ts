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
import { createInspector, inspectorWantedByUrl, openInspector } from "./inspector-panel.js";
import { currentShareConfig, machineOptionsForLink, readShareLink, scriptKeystrokes } from "./share-boot.js";
import { createShareBanner } from "./share-banner.js";
import { createSharePanel } from "./share-panel.js";
import { createGallery, reloadOnShareLinkChange } from "./share-gallery.js";
import { ShareLinkError } from "../share/share-config.js";
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

// The demos are share links: reachable even when this page's own link was refused.
createGallery(element("#demos-button"), element("#share-gallery")).catch((err: unknown) => console.error("the demo gallery failed", err));
reloadOnShareLinkChange();

async function start(): Promise<void> {
  document.body.dataset.state = "booting";
  // A share link replaces the address's machine options; a bad one throws here, before
  // anything starts (no worker, no boot).
  const link = await readShareLink(location.hash, location.search);
  const pageOptions = link ? link.pageOptions : readPageOptions(location.search);
  const banner = link ? createShareBanner(element("#share-banner"), link.config, link.overridden) : undefined;
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
  // The inspector polls the machine only while it is open (closed by default).
  createInspector(element("#inspector"), element<HTMLButtonElement>("#inspector-toggle"), {
    inspect: () => api.inspect(),
    describeChain: (address, queue, slot) => api.describeChain(address, queue, slot),
  });
  if (inspectorWantedByUrl(location.search) || link?.config.panel === "inspector") openInspector();

  const disk = pageOptions.disk === "opfs" ? PAGE_DISK : undefined;
  const options: MachineOptions = disk ? { ...DEFAULT_OPTIONS, cmdline: `${DEFAULT_OPTIONS.cmdline} ${PERSISTENT_DISK_ARG}` } : DEFAULT_OPTIONS;
  const bootOptions = link ? machineOptionsForLink(options, link.config) : options;
  createSharePanel(element("#share-button"), element("#share-panel"), () =>
    currentShareConfig(link, pageOptions, bootOptions, element("#inspector").hidden ? "terminal" : "inspector"),
  );
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
      options: bootOptions,
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
        if (phase !== "shell") return;
        document.body.dataset.state = "ready";
        // The link's script, typed once through the terminal's own input path.
        const keys = scriptKeystrokes(link?.config.script ?? "");
        if (keys) void api.input(keys).then(() => banner?.typed());
      },
      loadProgress: (loaded: number, total: number) => progress.loadProgress(loaded, total),
      log: (message: string) => console.info(`[machine] ${message}`),
    }),
  );
}

start().catch((err: unknown) => {
  if (err instanceof ShareLinkError) fail("This share link cannot be used", `${err.message}.\nNothing from the link was run.`);
  else fail("The machine could not start", err instanceof Error ? err.message : String(err));
});
