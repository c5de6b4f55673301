// The text forms of a network card's far end that more than one front end reads: QEMU's
// hostfwd rule (`tcp::HOSTPORT-:GUESTPORT`, the CLI's --net user and the machine
// description) and a wisp server's address (ws:// or wss://).
import { wispUrlProblem } from "../util/wisp-url.js";

/** A host port whose connections are carried to a port of the guest (user-mode networking). */
export interface HostForward {
  protocol: "tcp";
  /** Listened on at 127.0.0.1: forwards are for this machine's own programs. */
  hostPort: number;
  guestPort: number;
}

/** Forwards per card: each holds a listening socket of the host. */
export const MAX_HOST_FORWARDS = 16;

/** `tcp::5555-:22` (QEMU's form; an empty or 127.0.0.1 host address, an empty guest address). */
export function parseHostForward(text: string): HostForward {
  const m = /^tcp:(127\.0\.0\.1)?:(\d{1,5})-(?:10\.0\.2\.15)?:(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`hostfwd must be tcp::HOSTPORT-:GUESTPORT (e.g. tcp::5555-:22), not ${JSON.stringify(text)}`);
  const hostPort = Number(m[2]);
  const guestPort = Number(m[3]);
  for (const [what, port] of [["host", hostPort], ["guest", guestPort]] as const) {
    if (port < 1 || port > 65535) throw new Error(`hostfwd ${JSON.stringify(text)}: the ${what} port must be 1 to 65535`);
  }
  return { protocol: "tcp", hostPort, guestPort };
}

export function formatHostForward(rule: HostForward): string {
  return `tcp::${rule.hostPort}-:${rule.guestPort}`;
}

/** Checks a wisp server's address and returns it normalised; the error names what is wrong. */
export function checkWispUrl(text: string): string {
  const problem = wispUrlProblem(text);
  if (problem !== undefined) throw new Error(problem);
  return new URL(text).href;
}
