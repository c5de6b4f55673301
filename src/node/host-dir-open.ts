// The host descriptors behind the guest's open files. The server matches every open with one
// release by inode number, not by fid, so an inode keeps one descriptor per access it was
// opened with (read, write, both: at most three, whatever the number of fids) and a count of
// opens; the descriptors close with its last release. The server bounds the opens by
// HOST_DIR_MAX_OPEN (the share's maxOpen), so the descriptors are bounded too. A directory is
// counted but holds none: listings and names reach it through its checked path every time
// (host-dir-paths.ts).
import { closeSync } from "node:fs";
import type { Ino } from "../backends/9p/ninep-fs.js";

export type Access = "r" | "w" | "rw";

/**
 * Opens a host share holds at once: Linux's v9fs with cache=loose keeps one per file it wrote,
 * so thousands. Most hold one descriptor (three at worst). Node raises its descriptor limit to
 * the hard one at start (commonly 4096 or, under systemd, 524288); on a host with less, the
 * guest meets the host's EMFILE before this limit's ENFILE, and nothing worse.
 */
export const HOST_DIR_MAX_OPEN = 4096;

interface OpenInode {
  fds: Partial<Record<Access, number>>;
  opens: number;
}

export class HostOpenFiles {
  private readonly byIno = new Map<Ino, OpenInode>();
  /** A create's read-write descriptor, kept for the open that follows it (Tlcreate opens at once). */
  private parked: { ino: Ino; fd: number } | undefined;

  isOpen(ino: Ino): boolean {
    return this.byIno.has(ino);
  }

  reader(ino: Ino): number | undefined {
    const fds = this.byIno.get(ino)?.fds;
    return fds?.rw ?? fds?.r;
  }

  writer(ino: Ino): number | undefined {
    const fds = this.byIno.get(ino)?.fds;
    return fds?.rw ?? fds?.w;
  }

  any(ino: Ino): number | undefined {
    const fds = this.byIno.get(ino)?.fds;
    return fds?.rw ?? fds?.r ?? fds?.w;
  }

  /**
   * Keeps a new file's descriptor: a file created with mode 0444 must still open for writing,
   * as open(O_CREAT) allows, and only the creating descriptor can. One at most: the previous
   * is closed (its open never came).
   */
  park(ino: Ino, fd: number): void {
    this.unpark();
    this.parked = { ino, fd };
  }

  /**
   * One more open of `ino` with `access` (undefined: a directory). `openFd` opens a descriptor
   * when none held has that access; it is called before anything is recorded, so a failure
   * leaves the table as it was. Returns the descriptor the access uses.
   */
  open(ino: Ino, access: Access | undefined, openFd: (access: Access) => number): number | undefined {
    const entry = this.byIno.get(ino) ?? { fds: {}, opens: 0 };
    if (this.parked?.ino === ino && access !== undefined) {
      entry.fds.rw ??= this.parked.fd;
      if (entry.fds.rw !== this.parked.fd) closeSync(this.parked.fd);
      this.parked = undefined;
    }
    let fd: number | undefined;
    if (access !== undefined) {
      fd = access === "rw" ? entry.fds.rw : access === "r" ? entry.fds.rw ?? entry.fds.r : entry.fds.rw ?? entry.fds.w;
      if (fd === undefined) {
        fd = openFd(access);
        entry.fds[access] = fd;
      }
    }
    entry.opens++;
    this.byIno.set(ino, entry);
    return fd;
  }

  /** Ends one open; true when that was the last (its descriptors are closed). */
  release(ino: Ino): boolean {
    const entry = this.byIno.get(ino);
    if (entry === undefined) return false;
    if (--entry.opens > 0) return false;
    this.byIno.delete(ino);
    for (const fd of Object.values(entry.fds)) closeSync(fd);
    return true;
  }

  /** Closes every descriptor (the share is shut). */
  closeAll(): void {
    this.unpark();
    for (const entry of this.byIno.values()) for (const fd of Object.values(entry.fds)) closeSync(fd);
    this.byIno.clear();
  }

  private unpark(): void {
    if (this.parked !== undefined) closeSync(this.parked.fd);
    this.parked = undefined;
  }
}
