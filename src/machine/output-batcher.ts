// Collects output the guest produces during one emulation slice and hands it on as one
// chunk once the slice is over (v86 reports the serial port a byte at a time, the virtio
// console a buffer at a time; the page and the CLI want few, larger chunks).
export class OutputBatcher {
  private parts: Uint8Array[] = [];
  private size = 0;
  private queued = false;

  constructor(private readonly flush: (chunk: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => this.emit());
  }

  pushByte(byte: number): void {
    this.push(Uint8Array.of(byte));
  }

  private emit(): void {
    this.queued = false;
    const chunk = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      chunk.set(p, at);
      at += p.length;
    }
    this.parts = [];
    this.size = 0;
    this.flush(chunk);
  }
}
