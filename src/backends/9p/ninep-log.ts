// The server's log lines, bounded: at most LOG_LINES_PER_SESSION lines between two
// sessions (Tversion or reset()), each cut to LOG_LINE_CHARS characters, so a guest that
// sends a flood of bad messages costs the host a few lines, not a line per message. (The
// device's own log path rate-limits across resets too: src/virtio/log-limiter.ts.) What is
// held back is counted and said when the next session starts. A hook that throws is ignored.

export const LOG_LINES_PER_SESSION = 32;
export const LOG_LINE_CHARS = 200;

export class BoundedLog {
  private lines = 0;
  private held = 0;

  constructor(private readonly out: ((message: string) => void) | undefined) {}

  log(message: string): void {
    if (this.lines >= LOG_LINES_PER_SESSION) {
      this.held++;
      return;
    }
    this.lines++;
    let line = message.length > LOG_LINE_CHARS ? `${message.slice(0, LOG_LINE_CHARS)}...` : message;
    if (this.lines === LOG_LINES_PER_SESSION) line += " (no more 9p lines until the next session)";
    this.emit(line);
  }

  /** A new session: the budget starts again, after a line counting what was held back. */
  newSession(): void {
    if (this.held > 0) this.emit(`9p: ${this.held} log lines were not written (over ${LOG_LINES_PER_SESSION} a session)`);
    this.lines = 0;
    this.held = 0;
  }

  private emit(line: string): void {
    try {
      this.out?.(line);
    } catch {
      // Logging must never fail a request.
    }
  }
}
