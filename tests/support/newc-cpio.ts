// A newc cpio archive (what Linux unpacks as an initramfs) of a few regular files, written
// here so a test can lay files over an initrd: the kernel unpacks concatenated archives in
// order, a later file replacing an earlier one of the same name.

function header(fields: number[], name: string): string {
  return `070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}${name}\0`;
}

function pad4(length: number): Uint8Array {
  return new Uint8Array((4 - (length % 4)) % 4);
}

/** `files`: path (no leading "/") to contents; each a regular file, mode 0644, owned by root. */
export function newcArchive(files: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  let ino = 1;
  const entry = (name: string, mode: number, data: Uint8Array): void => {
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const head = encoder.encode(header([ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0], name));
    parts.push(head, pad4(head.length), data, pad4(data.length));
  };
  for (const [name, text] of Object.entries(files)) entry(name, 0o100644, encoder.encode(text));
  entry("TRAILER!!!", 0, new Uint8Array());
  const size = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size + pad4(size).length + ((512 - ((size + pad4(size).length) % 512)) % 512));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
