// --net's value: what the CLI's network card is cabled to.
//   host                        the in-process host network (default)
//   user[,hostfwd=tcp::H-:G]... the host's own sockets (QEMU's user mode); 10.0.2.2 is this host
//   wisp=ws://HOST:PORT/        TCP carried as wisp streams by a wisp server
//   none                        no network card
import type { NetBackendDescription } from "../description/machine-description.js";
import { checkWispUrl, MAX_HOST_FORWARDS, parseHostForward } from "../description/net-backend.js";
import { errorMessage } from "../util/error-message.js";

export type NetArg = NetBackendDescription | "none";

export function parseNetArg(value: string): NetArg {
  if (value === "none") return "none";
  if (value === "host") return { kind: "host" };
  if (value.startsWith("wisp=")) {
    try {
      return { kind: "wisp", url: checkWispUrl(value.slice("wisp=".length)) };
    } catch (err) {
      throw new Error(`--net wisp=URL: ${errorMessage(err)}`);
    }
  }
  const [mode, ...options] = value.split(",");
  if (mode !== "user") throw new Error(`--net must be "host", "user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]", "wisp=ws://..." or "none", got ${JSON.stringify(value)}`);
  const hostfwd = options.map((option) => {
    if (!option.startsWith("hostfwd=")) throw new Error(`--net user takes only hostfwd=tcp::HOSTPORT-:GUESTPORT options, got ${JSON.stringify(option)}`);
    try {
      return parseHostForward(option.slice("hostfwd=".length));
    } catch (err) {
      throw new Error(`--net user: ${errorMessage(err)}`);
    }
  });
  if (hostfwd.length > MAX_HOST_FORWARDS) throw new Error(`--net user: at most ${MAX_HOST_FORWARDS} hostfwd rules, got ${hostfwd.length}`);
  const ports = hostfwd.map((f) => f.hostPort);
  const repeated = ports.find((p, i) => ports.indexOf(p) !== i);
  if (repeated !== undefined) throw new Error(`--net user: host port ${repeated} is forwarded twice`);
  return { kind: "user", ...(hostfwd.length > 0 ? { hostfwd } : {}) };
}
