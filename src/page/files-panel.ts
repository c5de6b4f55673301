// The Files panel: the shared folder (the guest's /mnt/host, a folder of this browser's
// storage) as a list the user can browse, fill and empty out. Files and folders come in by the
// two pickers or by a drop anywhere on the page that no other panel takes (the disk and boot
// panels take their own drops first); they go to the folder shown. Any file downloads as
// itself, any folder as a zip the worker makes. The list is read again every POLL_MS, so what
// the guest writes shows up without a click (see tick below). All text is set with textContent.
import type { ShareEntry, ShareUpload, TransferProgress } from "../worker/api.js";
import { formatBytes } from "../util/format-bytes.js";
import { dragHasFiles, takeDrop, uploadsFromFiles } from "./files-drop.js";
import { panelOperations } from "./panel-parts.js";
import "./files-panel.css";

const POLL_MS = 2000;

/** What the panel may do to the shared folder; main.ts wires these to the worker API. */
export interface FilesActions {
  list(path: string): Promise<ShareEntry[]>;
  write(files: ShareUpload[], onProgress: TransferProgress): Promise<void>;
  read(path: string, onProgress: TransferProgress): Promise<Blob>;
  zip(path: string, onProgress: TransferProgress): Promise<Blob>;
}

export interface FilesPanel {
  /** Reads the folder shown again now. */
  refresh(): Promise<void>;
  stop(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  e.textContent = text;
  return e;
}

export function createFilesPanel(panel: HTMLElement, actions: FilesActions, guestPath = "/mnt/host"): FilesPanel {
  const summary = el("p", "files-summary");
  summary.append(el("strong", "", "Files"), " ", el("span", "files-where", ""), " ", el("span", "files-hint", "(kept in this browser; drop files or folders anywhere on the page)"));
  const addFiles = el("button", "files-add", "Add files…");
  const addFolder = el("button", "files-add-folder", "Add folder…");
  const zipButton = el("button", "files-zip", "Download folder (zip)");
  const up = el("button", "files-up", "Up");
  const filePicker = el("input", "files-pick");
  filePicker.type = "file";
  filePicker.multiple = true;
  filePicker.hidden = true;
  const folderPicker = el("input", "files-pick-folder");
  folderPicker.type = "file";
  folderPicker.webkitdirectory = true;
  folderPicker.hidden = true;
  const progress = el("progress", "files-progress");
  progress.hidden = true;
  const progressText = el("span", "files-progress-text");
  const message = el("span", "files-message");
  message.setAttribute("role", "status");
  const bar = el("div", "files-actions");
  bar.append(up, addFiles, addFolder, zipButton, filePicker, folderPicker, progress, progressText, message);
  const table = el("table", "files-list");
  const body = el("tbody", "");
  table.append(body);
  panel.replaceChildren(summary, bar, table);
  for (const b of [addFiles, addFolder, zipButton, up]) b.type = "button";

  /** The folder shown: "" for the share's root, else "a/b/". */
  let cwd = "";
  let shown = "";
  const buttons = [addFiles, addFolder, zipButton];
  const ops = panelOperations(panel, message, progress, () => buttons.forEach((b) => (b.disabled = true)), () => buttons.forEach((b) => (b.disabled = false)));

  const onProgress: TransferProgress = (done, total) => {
    progress.hidden = false;
    progress.max = Math.max(total, 1);
    progress.value = done;
    progressText.textContent = `${formatBytes(done)} / ${formatBytes(total)}`;
  };

  function render(entries: ShareEntry[]): void {
    const key = JSON.stringify([cwd, entries]);
    if (key === shown) return;
    shown = key;
    panel.querySelector(".files-where")!.textContent = `${guestPath}/${cwd}`.replace(/\/$/, "") || "/";
    up.disabled = cwd === "";
    const sorted = [...entries].sort((a, b) => (a.kind === "dir") === (b.kind === "dir") ? a.name.localeCompare(b.name) : a.kind === "dir" ? -1 : 1);
    const rows = sorted.map((e) => row(e));
    if (rows.length === 0) {
      const empty = el("tr", "files-empty");
      empty.append(el("td", "", "Empty: drop files here, or write some from the guest (ls /mnt/host)."));
      rows.push(empty);
    }
    body.replaceChildren(...rows);
  }

  function row(e: ShareEntry): HTMLTableRowElement {
    const tr = el("tr", `files-entry files-${e.kind}`);
    tr.dataset.name = e.name;
    const name = el("td", "files-name");
    if (e.kind === "dir") {
      const open = el("button", "files-open", `${e.name}/`);
      open.type = "button";
      open.addEventListener("click", () => void go(`${cwd}${e.name}/`));
      name.append(open);
    } else {
      name.textContent = e.kind === "symlink" ? `${e.name} →` : e.name;
    }
    const size = el("td", "files-size", e.kind === "file" ? formatBytes(e.size) : "");
    const when = el("td", "files-time", new Date(e.mtimeMs).toLocaleString());
    const act = el("td", "files-act");
    if (e.kind !== "symlink") {
      const dl = el("button", "files-download", e.kind === "dir" ? "zip" : "download");
      dl.type = "button";
      dl.addEventListener("click", () => void download(`${cwd}${e.name}`, e.kind === "dir"));
      act.append(dl);
    }
    tr.append(name, size, when, act);
    return tr;
  }

  async function refresh(): Promise<void> {
    try {
      render(await actions.list(cwd));
    } catch (err) {
      // The folder shown was removed (by the guest, say): go back to the root.
      if (cwd !== "") {
        cwd = "";
        return refresh();
      }
      ops.say(`Cannot read the shared folder: ${err instanceof Error ? err.message : String(err)}`, true);
    }
  }

  async function go(path: string): Promise<void> {
    cwd = path;
    await refresh();
  }

  async function upload(take: () => Promise<ShareUpload[]> | ShareUpload[]): Promise<void> {
    await ops.run("Copying into the shared folder", async () => {
      const files = await take();
      if (files.length === 0) return ops.say("Nothing to copy (an empty folder?)");
      await actions.write(files, onProgress);
      await refresh();
      const bytes = files.reduce((n, f) => n + f.data.size, 0);
      ops.say(`Copied ${files.length} file${files.length === 1 ? "" : "s"} (${formatBytes(bytes)}) to ${`${guestPath}/${cwd}`.replace(/\/$/, "")}`);
    });
  }

  async function download(path: string, folder: boolean): Promise<void> {
    const name = (path.split("/").filter(Boolean).pop() ?? "shared") + (folder ? ".zip" : "");
    await ops.run(`Preparing ${name}`, async () => {
      const blob = folder ? await actions.zip(path, onProgress) : await actions.read(path, onProgress);
      const a = el("a", "files-link");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      // The download has started from the URL by the next turn; a minute leaves room for a slow disk.
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      ops.say(`Downloaded ${name} (${formatBytes(blob.size)})`);
    });
  }

  addFiles.addEventListener("click", () => filePicker.click());
  addFolder.addEventListener("click", () => folderPicker.click());
  up.addEventListener("click", () => void go(cwd.split("/").slice(0, -2).map((p) => `${p}/`).join("")));
  zipButton.addEventListener("click", () => void download(cwd, true));
  for (const picker of [filePicker, folderPicker]) {
    picker.addEventListener("change", () => {
      const files = [...(picker.files ?? [])];
      picker.value = "";
      void upload(() => uploadsFromFiles(files, cwd));
    });
  }

  // Drops anywhere on the page that no panel took (those call preventDefault first).
  const over = (event: DragEvent): void => {
    if (event.defaultPrevented || !dragHasFiles(event) || ops.busy) return;
    event.preventDefault();
    panel.classList.add("drop-target");
  };
  const leave = (): void => panel.classList.remove("drop-target");
  const drop = (event: DragEvent): void => {
    leave();
    if (event.defaultPrevented || !dragHasFiles(event) || ops.busy) return;
    event.preventDefault();
    const taken = takeDrop(event, cwd);
    void upload(() => taken);
  };
  document.addEventListener("dragover", over);
  document.addEventListener("dragleave", leave);
  document.addEventListener("drop", drop);

  panel.hidden = false;
  // Each listing is served between the guest's own 9P requests (one queue in the worker), so
  // a big folder is read again less often: at least POLL_MS apart, and ten times as long as
  // the last listing took, so the panel never takes more than a tenth of the folder's time.
  let poll: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const started = performance.now();
    if (!ops.busy && document.visibilityState === "visible") await refresh();
    if (!stopped) poll = setTimeout(() => void tick(), Math.max(POLL_MS, 10 * (performance.now() - started)));
  };
  void tick();
  return {
    refresh,
    stop() {
      stopped = true;
      clearTimeout(poll);
      document.removeEventListener("dragover", over);
      document.removeEventListener("dragleave", leave);
      document.removeEventListener("drop", drop);
    },
  };
}
