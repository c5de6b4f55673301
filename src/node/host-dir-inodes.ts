// The share's inode numbers and the names they stand for. The guest only ever holds our
// numbers (a counter), never a host path: each inode records the names it is known by as
// (directory inode, one name) pairs, so a path is rebuilt from the root on every use and a
// renamed directory's descendants move with it without being touched. Host inodes are told
// apart by (dev, ino) from lstat, so a file reached by two names (hard links) has one number.
//
// The table only learns from what the share itself saw (lookups, listings, its own changes).
// A name the host changed behind its back is found out when it is next used: the path's
// lstat no longer shows the same (dev, ino), and the name is refused (host-dir-paths.ts).
import { ELOOP, ENFILE, ENOENT, ENOTDIR, FsError } from "../backends/9p/ninep-errno.js";
import type { Ino } from "../backends/9p/ninep-fs.js";

export interface HostLink {
  readonly dir: Ino;
  readonly name: string;
}

export interface HostInode {
  readonly ino: Ino;
  /** (dev, ino) of the host inode, as hostKey() writes it. */
  readonly key: string;
  readonly isDir: boolean;
  /** The names it is known by, newest first. A directory has at most one; the root none. */
  links: HostLink[];
}

/** Deeper than any path the host can take (PATH_MAX 4096, two bytes a level): a loop in stale names. */
const MAX_DEPTH = 2048;

export class HostInodes {
  readonly root: HostInode;
  private nextIno: Ino = 1;
  private readonly byIno = new Map<Ino, HostInode>();
  private readonly byKey = new Map<string, HostInode>();
  /** "dir/name" to the inode that name was last seen to hold. */
  private readonly byLink = new Map<string, HostInode>();

  /** isOpen: an inode that loses its last name stays while the share holds it open. */
  constructor(rootKey: string, private readonly maxInodes: number, private readonly isOpen: (ino: Ino) => boolean) {
    this.root = this.add(rootKey, true);
  }

  get size(): number {
    return this.byIno.size;
  }

  /** ENOENT for a number this table never gave, or one dropped since. */
  get(ino: Ino): HostInode {
    return this.byIno.get(ino) ?? fail(ENOENT);
  }

  find(ino: Ino): HostInode | undefined {
    return this.byIno.get(ino);
  }

  /** The inode `name` of `dir` was last seen to hold. */
  named(dir: Ino, name: string): HostInode | undefined {
    return this.byLink.get(linkKey(dir, name));
  }

  /**
   * Records that `name` in `dir` holds the host inode `key`: the inode it already has, or a
   * new number (ENFILE past maxInodes). The name becomes that inode's newest; a directory
   * found under a new name (moved on the host) takes it in place of its old one.
   */
  learn(dir: Ino, name: string, key: string, isDir: boolean): HostInode {
    const k = linkKey(dir, name);
    const known = this.byKey.get(key);
    const inode = known !== undefined && known.isDir === isDir ? known : this.add(key, isDir);
    const previous = this.byLink.get(k);
    if (previous === inode) {
      inode.links = [{ dir, name }, ...inode.links.filter((l) => !sameLink(l, dir, name))];
      return inode;
    }
    if (previous !== undefined) {
      this.unname(previous, dir, name);
      this.dropIfNameless(previous);
    }
    if (inode.isDir) for (const l of inode.links) this.byLink.delete(linkKey(l.dir, l.name));
    inode.links = inode.isDir ? [{ dir, name }] : [{ dir, name }, ...inode.links];
    this.byLink.set(k, inode);
    return inode;
  }

  /** `name` of `dir` is gone (unlinked on the host): its inode goes too if that was its last name. */
  forget(dir: Ino, name: string): void {
    const inode = this.byLink.get(linkKey(dir, name));
    if (inode === undefined) return;
    this.unname(inode, dir, name);
    this.dropIfNameless(inode);
  }

  /** After the host renamed oldName of oldDir to newName of newDir (which it replaced, if taken). */
  move(oldDir: Ino, oldName: string, newDir: Ino, newName: string): void {
    const inode = this.byLink.get(linkKey(oldDir, oldName));
    this.forget(newDir, newName);
    if (inode === undefined) return;
    this.unname(inode, oldDir, oldName);
    this.learn(newDir, newName, inode.key, inode.isDir);
  }

  /**
   * Takes out an inode with no names left and not open: its number is never given again,
   * so a guest still holding it hears ENOENT. A file with other host names the share never
   * saw gets a new number if one of them is looked up later. The root stays.
   */
  dropIfNameless(inode: HostInode): void {
    if (inode === this.root || inode.links.length > 0 || this.isOpen(inode.ino)) return;
    this.byIno.delete(inode.ino);
    if (this.byKey.get(inode.key) === inode) this.byKey.delete(inode.key);
  }

  /**
   * The directories from the root down to directory `dir`, each with the name it is reached
   * by (none for the root): ENOTDIR for a non-directory, ENOENT for a directory with no name
   * left, ELOOP if stale names go round.
   */
  dirChain(dir: Ino): { name: string; inode: HostInode }[] {
    const chain: { name: string; inode: HostInode }[] = [];
    let at = this.get(dir);
    if (!at.isDir) fail(ENOTDIR);
    while (at !== this.root) {
      const link = at.links[0] ?? fail(ENOENT);
      if (chain.length >= MAX_DEPTH) fail(ELOOP);
      chain.push({ name: link.name, inode: at });
      at = this.get(link.dir);
    }
    return chain.reverse();
  }

  private add(key: string, isDir: boolean): HostInode {
    if (this.byIno.size >= this.maxInodes) fail(ENFILE);
    const inode: HostInode = { ino: this.nextIno++, key, isDir, links: [] };
    this.byIno.set(inode.ino, inode);
    this.byKey.set(key, inode);
    return inode;
  }

  private unname(inode: HostInode, dir: Ino, name: string): void {
    this.byLink.delete(linkKey(dir, name));
    inode.links = inode.links.filter((l) => !sameLink(l, dir, name));
  }
}

function linkKey(dir: Ino, name: string): string {
  return `${dir}/${name}`;
}

function sameLink(link: HostLink, dir: Ino, name: string): boolean {
  return link.dir === dir && link.name === name;
}

function fail(errno: number): never {
  throw new FsError(errno);
}
