// The page: terminal, boot progress and error panel, wired to the machine through the
// worker API only. Loaded by page-entry.ts, which has already started the machine's worker.
import { connect } from "./connect.js";
import { pageImagesUrl } from "./images-url.js";
import { createTerminalView } from "./terminal-view.js";
import { createBootProgressView } from "./boot-progress-view.js";
import { createErrorPanel } from "./error-panel.js";
import { readPageOptions } from "./page-options.js";
import { createSerialLog } from "./serial-log.js";
import { createDiskPanel } from "./disk-panel.js";
import { createInspector, inspectorWantedByUrl, openInspector } from "./inspector-panel.js";
import { readShareLink, scriptKeystrokes } from "./share-boot.js";
import { createShareBanner } from "./share-banner.js";
import { createSharePanel } from "./share-panel.js";
import { createGallery, reloadOnShareLinkChange } from "./share-gallery.js";
import { ShareLinkError } from "../share/share-config.js";
import { contentOfMachine } from "../share/share-content.js";
import type { BootPhase, BootRequest, BootResult, RestoreRequest } from "../worker/api.js";
import { PAGE_DISK, PAGE_SHARE, pageMachine, pageMachineOptions } from "../share/page-machine.js";
import { showFilesPanel } from "./files-setup.js";
import { createStatePanel, tellOrigin } from "./state-panel.js";
import { showBalloonControl } from "./balloon-control.js";
import { stashState, takeStashedState, type StashedState } from "./restore-stash.js";
import { errorMessage } from "../util/error-message.js";
import { MAX_BOOT_FILE_BYTES } from "../worker/api.js";
import { forgetBootChoice, keepBootChoice, loadBootChoice } from "./boot-choice-store.js";
import { createBootPanel } from "./boot-panel.js";
import { watchBootInPage } from "./boot-watch-page.js";
import { bootHeadline } from "./boot-words.js";
import { loadAfresh, planPageBoot } from "./page-boot.js";
import { createLinkFilesNotice, type LinkFilesNotice } from "./share-banner-files.js";
import type { ErrorAction } from "./error-panel.js";
import { createBootScreen, type StartingFrom } from "./boot-screen.js";
import { onPageFailure, reportPageFailure } from "./page-failure.js";
import { createInspectorFocus } from "./inspector-focus.js";
import { offerWayBackFromInstantShell } from "./way-out.js";
import { bootWithoutHeldDisk, DISK_IN_OTHER_TAB, sayDiskLeftOut } from "./disk-fallback.js";
import { watchWorker } from "./worker-watchdog.js";

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
onPageFailure(() => progress.failed());

/** The way back to the bundled images, once the page knows it boots other ones. */
let backToBundled: ErrorAction | undefined;

function fail(title: string, message: string): void {
  document.body.dataset.state = "error";
  errorPanel.show(title, message, backToBundled);
  reportPageFailure(`${title.toLowerCase()}: ${message}`);
}

// The demos are share links: reachable even when this page's own link was refused.
createGallery(element("#demos-button"), element("#share-gallery")).catch((err: unknown) => console.error("the demo gallery failed", err));
reloadOnShareLinkChange();

async function start(): Promise<void> {
  document.body.dataset.state = "booting";
  // A share link's machine replaces the address's machine options; a bad one throws here,
  // before anything starts (no worker, no boot).
  const link = await readShareLink(location.hash, location.search);
  const pageOptions = link ? link.pageOptions : readPageOptions(location.search);
  if (pageOptions.start === "snapshot" && !link) offerWayBackFromInstantShell(element<HTMLAnchorElement>("#instant-shell"));
  const banner = link ? createShareBanner(element("#share-banner"), link.content, link.overridden) : undefined;
  const connected = await connect(pageOptions.thread, (message) => fail("The machine stopped", message));
  const { api, proxy } = connected;
  const terminal = createTerminalView(
    element("#terminal"),
    (data) => void api.input(data),
    (cols, rows) => void api.resize(cols, rows),
  );
  terminal.focus();
  const screen = createBootScreen(element("#terminal"));
  // For the console of the browser's devtools (and the tests): the devices' state and
  // counters, fetched through the worker API like everything else.
  Object.assign(window, { ringsideDevices: () => api.devices() });
  const serialLog = createSerialLog(element("#serial-log"));
  // The inspector polls the machine only while it is open (closed by default).
  // Calls counted on the page (data-inspect-calls) so a test can see the panel stop asking after a failure.
  let inspectCalls = 0;
  const inspector = createInspector(element("#inspector"), element<HTMLButtonElement>("#inspector-toggle"), {
    inspect: () => {
      document.body.dataset.inspectCalls = String(++inspectCalls);
      return api.inspect();
    },
    describeChain: (address, queue, slot) => api.describeChain(address, queue, slot),
    capture: {
      startCapture: () => api.startCapture(),
      stopCapture: () => api.stopCapture(),
      captureStatus: () => api.captureStatus(),
      captureFile: () => api.captureFile(),
    },
    timeline: {
      setTimelineRecording: (on) => api.setTimelineRecording(on),
      timeline: (sinceSeq) => api.timeline(sinceSeq),
      clearTimeline: () => api.clearTimeline(),
      timelineTraceFile: () => api.timelineTraceFile(),
    },
  }, link?.content.focus ? createInspectorFocus(link.content.focus) : undefined);
  onPageFailure((why) => inspector.stop(why));
  if (inspectorWantedByUrl(location.search) || link?.content.panel === "inspector") openInspector();

  // Whether the page has a disk in this browser's storage (a link's machine may, too).
  const disk = pageOptions.disk === "opfs" ? PAGE_DISK : undefined;
  const pageOwn = pageMachine(pageMachineOptions(disk), disk, pageOptions.network, pageOptions.boot, pageOptions.share === "opfs" ? PAGE_SHARE : undefined, pageOptions.balloon === "on");
  // What boots: the link's kernel, or the Boot panel's kept choice, or the bundled images.
  const kept = link ? { choice: null } : loadBootChoice();
  const plan = planPageBoot(link ? link.machine : pageOwn, link?.content, kept.choice);
  const { machine } = plan;
  const back = plan.backToBundled;
  if (back) backToBundled = { label: "Use the bundled images", run: () => void back() };
  const headline = element("#boot-source");
  headline.textContent = `booting ${bootHeadline(plan.owner ?? "yours", undefined, plan.names)}`;
  const bootPanel = link ? undefined : createBootPanel(element("#boot-panel"), {
    checkFile: (role, file) => api.checkBootFile(role, file, file.name, machine.memoryMiB),
    checkUrl: (role, url) => api.checkBootUrl(role, url, machine.memoryMiB),
    keep: async (draft) => {
      await keepBootChoice(draft);
      loadAfresh();
    },
    useBundled: async () => {
      await forgetBootChoice();
      loadAfresh();
    },
  }, { choice: kept.choice, ...(kept.problem ? { problem: kept.problem } : {}), defaultCmdline: pageOwn.cmdline, maxFileBytes: MAX_BOOT_FILE_BYTES, fromDisk: pageOptions.boot === "disk" });
  // The running machine as built (a restored one is its state's), until it runs the one asked for.
  createSharePanel(element("#share-button"), element("#share-panel"), async () =>
    contentOfMachine((await api.machine()) ?? machine, link?.content.script ?? "", element("#inspector").hidden ? "terminal" : "inspector", link?.content.focus),
  );
  // A restored state's disk goes onto the page's own disk; the main thread cannot have one.
  const restoreDisk = pageOptions.thread === "worker" ? PAGE_DISK : undefined;
  const statePanel = createStatePanel(element("#state-panel"), {
    save: () => api.saveState(),
    check: (file) => api.checkState(file, file.name, restoreDisk),
    restore: async (file) => {
      await stashState(file);
      location.reload();
    },
  });
  let diskPanelShown = false;
  const showDiskPanel = (): void => {
    if (diskPanelShown) return;
    diskPanelShown = true;
    createDiskPanel(element("#disk-panel"), {
      info: () => api.diskInfo(),
      importImage: (file, onProgress) => api.importDisk(file, proxy(onProgress)),
      exportImage: (onProgress) => api.exportDisk(proxy(onProgress)),
      reset: () => api.resetDisk(),
      reload: () => location.reload(),
    }, plan.ringsideUserspace);
  };
  onPageFailure((why) => statePanel.origin("failed", `failed: ${why}`));

  watchWorker(() => api.ping(), (why) => fail("The machine stopped", why));

  // A state picked before this reload comes first, then ?start=snapshot.
  let stashed: StashedState | null = null;
  let cannotRestore: string | undefined;
  try {
    stashed = await takeStashedState();
  } catch (err) {
    cannotRestore = errorMessage(err);
  }
  const restore: RestoreRequest | undefined = stashed
    ? { kind: "file", file: stashed.file, name: stashed.name }
    : pageOptions.start === "snapshot" ? { kind: "shipped" } : undefined;
  // The disk panel shows from the start on a cold boot; a restored machine has a disk only if its state had one.
  if (disk && !restore) showDiskPanel();
  // A restored machine is not given the link's script: it is not the link's machine.
  let restoring = restore !== undefined;
  const startsFrom = (what: StartingFrom): void => {
    progress.startsFrom(what);
    screen.startsFrom(what);
  };
  if (restore) startsFrom(restore.kind === "shipped" ? "snapshot" : "state");

  const request: BootRequest = {
    machine,
    imagesUrl: pageImagesUrl(),
    scheduler: pageOptions.scheduler,
    jit: pageOptions.jit,
    terminal: terminal.size(),
  };
  // The link's script, typed once through the terminal's own input path: at the shell's
  // prompt, or when the reader asks because no ringside prompt came.
  let scriptTyped = false;
  const typeScript = async (): Promise<void> => {
    const keys = restoring || scriptTyped ? "" : scriptKeystrokes(link?.content.script ?? "");
    scriptTyped = true;
    if (keys) await api.input(keys).then(() => banner?.typed());
  };
  const watch = watchBootInPage(element("#boot-report"), plan.backToBundled, () => api.bootReport(), () => {
    document.body.dataset.prompt = "none";
    statePanel.ready();
    banner?.noPrompt(typeScript);
  });
  const events = proxy({
    // Resolves once xterm has parsed the bytes: the machine holds the guest back meanwhile.
    console: (bytes: Uint8Array) => {
      watch.output("console");
      screen.consoleStarted();
      return terminal.write(bytes);
    },
    serial: (bytes: Uint8Array) => {
      watch.output("serial");
      serialLog.write(bytes);
      screen.serial(bytes);
    },
    phase: (phase: BootPhase, ms: number) => {
      bootTimes[phase] = ms;
      progress.phase(phase, ms);
      screen.phase(phase, ms);
      watch.phase(phase);
      if (phase !== "shell") return;
      document.body.dataset.state = "ready";
      statePanel.ready();
      void typeScript();
    },
    loadProgress: (loaded: number, total: number) => {
      progress.loadProgress(loaded, total);
      screen.loadProgress(loaded, total);
    },
    log: (message: string) => console.info(`[machine] ${message}`),
    note: (text: string) => screen.note(text),
  });

  // A link's kernel and initrd by address: nothing is fetched before the reader says yes.
  let notice: LinkFilesNotice | undefined;
  if (banner && (plan.urls.kernel || plan.urls.initrd)) {
    notice = createLinkFilesNotice(plan.urls);
    banner.insert(notice.element);
    await notice.confirmed;
  }
  let diskLeftOut = false;
  // A link's disk held by another tab: its machine boots without the disk, and says so.
  const bootCold = (): Promise<BootResult> => bootWithoutHeldDisk((r) => api.boot(r, events), request, link !== null, () => {
    diskLeftOut = true;
    sayDiskLeftOut(element("#disk-panel"), banner, screen);
  });
  let result: BootResult = {};
  try {
    result = await bootMachine();
  } catch (err) {
    // The error panel says why; the header and the banner must not go on promising a boot.
    notice?.failed();
    banner?.notStarted();
    headline.textContent = `not started: ${bootHeadline(plan.owner ?? "yours", undefined, plan.names)}`;
    throw err;
  }
  watch.running();
  headline.textContent = `running ${bootHeadline(plan.owner ?? "yours", result.images, plan.names)}`;
  headline.title = result.images?.kernel?.version ?? "";
  bootPanel?.booted(result.images);
  notice?.booted(result.images);
  if ((result.restored?.diskBytes.length ?? 0) > 0) showDiskPanel();
  tellOrigin(statePanel, result.restored, restore?.kind === "shipped", cannotRestore);
  if (diskLeftOut) statePanel.origin("fallback", `booted from scratch without its disk: ${DISK_IN_OTHER_TAB}`);
  // The machine as built, not as asked for: a restored state's machine has its own shares.
  showFilesPanel(await api.machine(), element("#files-panel"), connected);
  showBalloonControl(element("#state-panel .state-balloon"), connected);

  async function bootMachine(): Promise<BootResult> {
    if (!restore) return bootCold();
    try {
      return await api.boot({ ...request, restore, restoreDisk }, events);
    } catch (err) {
      // Whatever stopped the restore, the page still has a machine to offer: a cold boot.
      const what = restore.kind === "shipped" ? "The instant shell's snapshot" : `The state ${restore.name}`;
      cannotRestore = `${what} could not be restored: ${errorMessage(err)}`;
      restoring = false;
      startsFrom("images");
      if (disk) showDiskPanel();
      return await bootCold();
    } finally {
      await stashed?.discard();
    }
  }
}

start().catch((err: unknown) => {
  if (err instanceof ShareLinkError) fail("This share link cannot be used", `${err.message}.\nNothing from the link was run.`);
  else fail("The machine could not start", errorMessage(err));
});
