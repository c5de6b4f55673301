// What the page's boot downloads before the machine is built. A cold boot needs the images.
// A restore needs the state, and of the images only the firmware (v86 is built with it):
// the state's RAM already holds its kernel and initrd, and v86 cannot reboot a guest into
// a bzImage anyway (it never reloads the kernel into RAM; a guest's `reboot` stops at
// "Restarting system" with or without the files). So a restore fetches neither: the
// shipped snapshot's staleness check and the page's header use the build's image
// manifest (image-manifest.ts) instead, 8.6 MB less on the way to the instant shell.
import { IMAGE_FILES, type ImageSet } from "../machine/images.js";
import { IMAGE_MANIFEST_FILE, manifestDigests, readImageManifest, type ImageManifest } from "../machine/image-manifest.js";
import { checkShellStateImages } from "../machine/shell-state.js";
import { BUNDLED_BOOT, type BootDescription } from "../description/machine-description.js";
import { fetchWithProgress, loadImagesOverHttp } from "./load-images.js";
import { fetchJson, loadState, progressWithState, type LoadedState, type StateSource } from "./state-boot.js";
import type { BootFilesReport } from "./api.js";

export type BootFiles =
  | { kind: "cold"; images: ImageSet }
  | { kind: "restore"; bios: ArrayBuffer; manifest: ImageManifest; state: LoadedState };

/**
 * Downloads what the boot needs, side by side, with one progress figure; for the shipped
 * snapshot, refuses a stale one (StaleShellStateError) before anything is built.
 */
export async function loadBootFiles(imagesUrl: string, restore: StateSource | undefined, report: (loaded: number, total: number) => void): Promise<BootFiles> {
  const progress = progressWithState(report);
  if (!restore) return { kind: "cold", images: await loadImagesOverHttp(imagesUrl, progress.images) };
  let biosBytes = { loaded: 0, total: 0 };
  const [bios, manifest, state] = await Promise.all([
    fetchWithProgress(
      new URL(IMAGE_FILES.bios, imagesUrl).href,
      (n) => (biosBytes.total = n),
      (n) => {
        biosBytes = { ...biosBytes, loaded: biosBytes.loaded + n };
        progress.images(biosBytes.loaded, Math.max(biosBytes.total, biosBytes.loaded));
      },
    ),
    fetchJson(new URL(IMAGE_MANIFEST_FILE, imagesUrl).href, readImageManifest),
    loadState(restore, imagesUrl, progress.state),
  ]);
  // The images now, before anything is built; the file's sha256 once all of it is in (loadState).
  if (state.record) checkShellStateImages(state.record, manifestDigests(manifest));
  return { kind: "restore", bios, manifest, state };
}

/** The header's facts about a restored machine's bundled kernel and initrd, from the manifest (a user's own files are not fetched: the page shows their names). */
export function restoredBootReport(boot: BootDescription | undefined, manifest: ImageManifest): BootFilesReport {
  const b = boot ?? BUNDLED_BOOT;
  if (b.kind === "disk") return {};
  const report: BootFilesReport = {};
  if (b.kernel.kind === "bundled") {
    report.kernel = { name: IMAGE_FILES.bzImage, bytes: manifest.files[IMAGE_FILES.bzImage]?.bytes ?? 0, source: "bundled", ...manifest.kernel };
  }
  if (b.initrd?.kind === "bundled") {
    report.initrd = { name: IMAGE_FILES.initrd, bytes: manifest.files[IMAGE_FILES.initrd]?.bytes ?? 0, source: "bundled", format: manifest.initrd.format };
  }
  return report;
}

/** Boot files downloading before a boot asked for them (the instant shell's, from the page's first module). */
export interface BootFilesPrefetch {
  readonly imagesUrl: string;
  readonly files: Promise<BootFiles>;
  /** Sends the progress so far to `report`, and every change from now on. */
  follow(report: (loaded: number, total: number) => void): void;
}

export function prefetchBootFiles(imagesUrl: string, restore: StateSource): BootFilesPrefetch {
  let last: [number, number] | undefined;
  let sink: ((loaded: number, total: number) => void) | undefined;
  const files = loadBootFiles(imagesUrl, restore, (loaded, total) => {
    last = [loaded, total];
    sink?.(loaded, total);
  });
  // A failure is the boot's to report, when it takes these files.
  files.catch(() => {});
  return {
    imagesUrl,
    files,
    follow(report) {
      sink = report;
      if (last) report(...last);
    },
  };
}
