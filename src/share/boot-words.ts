// What a machine boots, in words for the share banner, the gallery and the Share panel, and
// the one question the page asks of it: does ringside's own userspace run (the bundled
// initrd, whose /etc/rc.boot mounts the persistent disk and whose shell prints the prompt
// the page waits for), or another one, which the page may assume nothing about?
import type { BootDescription, ImageSource } from "../worker/api.js";

/** Whether `boot` runs ringside's initrd (absent: the bundled kernel and initrd). */
export function runsRingsideUserspace(boot: BootDescription | undefined): boolean {
  return boot === undefined || (boot.kind === "kernel" && boot.initrd?.kind === "bundled");
}

/** The addresses `boot` fetches its kernel and initrd from (none: nothing to fetch). */
export function bootUrls(boot: BootDescription | undefined): { kernel?: string; initrd?: string } {
  if (boot?.kind !== "kernel") return {};
  const url = (s: ImageSource | undefined) => (s?.kind === "url" ? s.url : undefined);
  const kernel = url(boot.kernel);
  const initrd = url(boot.initrd);
  return { ...(kernel ? { kernel } : {}), ...(initrd ? { initrd } : {}) };
}

function sourceWords(role: "kernel" | "initrd", source: ImageSource): string {
  switch (source.kind) {
    case "bundled": return `the bundled ${role}`;
    case "url": return `${role} from ${source.url}`;
    case "file": return `${role} from the file ${source.path}`;
    case "opfs": return `${role} from this browser's storage (${source.name})`;
  }
}

/** "" for the bundled kernel and initrd; else ", kernel from https://..., the bundled initrd" and the like. */
export function describeBoot(boot: BootDescription | undefined): string {
  if (!boot || (boot.kind === "kernel" && boot.kernel.kind === "bundled" && boot.initrd?.kind === "bundled")) return "";
  if (boot.kind === "disk") return ", booting from its first disk";
  return `, ${sourceWords("kernel", boot.kernel)}, ${boot.initrd ? sourceWords("initrd", boot.initrd) : "no initrd"}`;
}
