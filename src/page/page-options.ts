// Reads the page's URL query. Unknown values are errors, reported rather than ignored.
import type { JitChoice, NetworkRequest, SchedulerChoice } from "../worker/api.js";
import { wispUrlProblem } from "../util/wisp-url.js";
import type { ThreadChoice } from "./connect.js";

/** "opfs": the persistent disk (the default); "none": no disk, for benchmarks. */
export type DiskChoice = "opfs" | "none";

/**
 * "cold": boot the kernel (the default); "snapshot": take up the snapshot shipped with the
 * site for an instant shell (no disk, host network), or boot cold and say why not.
 */
export type StartChoice = "cold" | "snapshot";

/**
 * "kernel": boot ringside's kernel and initrd (the default); "disk": the firmware boots the
 * persistent disk with its own boot loader (an imported image such as
 * images/disk/build-boot-disk.sh's).
 */
export type BootChoice = "kernel" | "disk";

/**
 * "opfs": the shared folder "shared" in this browser's storage, at /mnt/host in the guest and
 * in the Files panel (the default with a worker and a cold boot); "none": no shared folder.
 */
export type ShareChoice = "opfs" | "none";

/**
 * "on": a virtio-balloon, set from the Machine panel (the default on a cold boot); "off":
 * none. The shipped snapshot was saved without one.
 */
export type BalloonChoice = "on" | "off";

export interface PageOptions {
  thread: ThreadChoice;
  scheduler: SchedulerChoice;
  jit: JitChoice;
  disk: DiskChoice;
  network: NetworkRequest;
  start: StartChoice;
  boot: BootChoice;
  share: ShareChoice;
  balloon: BalloonChoice;
}

/** The scheduler the worker uses unless the URL says otherwise (see README, Benchmarks). */
export const DEFAULT_SCHEDULER: SchedulerChoice = "post-task";

export function readPageOptions(search: string): PageOptions {
  const params = new URLSearchParams(search);
  const thread = params.get("thread") ?? "worker";
  if (thread !== "worker" && thread !== "main") {
    throw new Error(`?thread must be "worker" or "main", not "${thread}"`);
  }
  const scheduler = params.get("scheduler") ?? DEFAULT_SCHEDULER;
  if (scheduler !== "v86-default" && scheduler !== "post-task") {
    throw new Error(`?scheduler must be "v86-default" or "post-task", not "${scheduler}"`);
  }
  const jit = params.get("jit") ?? "ringside";
  if (jit !== "ringside" && jit !== "v86-default") {
    throw new Error(`?jit must be "ringside" or "v86-default", not "${jit}"`);
  }
  const start = params.get("start") ?? "cold";
  if (start !== "cold" && start !== "snapshot") {
    throw new Error(`?start must be "cold" or "snapshot", not "${start}"`);
  }
  // OPFS files open synchronously only in a worker, so the main thread has no disk; the
  // shipped snapshot has none, so restoring it never touches the persistent disk.
  const disk = params.get("disk") ?? (thread === "main" || start === "snapshot" ? "none" : "opfs");
  if (disk !== "opfs" && disk !== "none") {
    throw new Error(`?disk must be "opfs" or "none", not "${disk}"`);
  }
  if (disk === "opfs" && thread === "main") {
    throw new Error("?disk=opfs needs ?thread=worker: OPFS files open synchronously only in a worker");
  }
  if (start === "snapshot" && disk === "opfs") {
    throw new Error("?start=snapshot has no disk (the shipped snapshot was saved without one): leave out ?disk=opfs");
  }
  const boot = params.get("boot") ?? "kernel";
  if (boot !== "kernel" && boot !== "disk") throw new Error(`?boot must be "kernel" or "disk", not "${boot}"`);
  if (boot === "disk" && disk !== "opfs") throw new Error("?boot=disk boots the persistent disk: leave out ?disk=none, ?thread=main and ?start=snapshot");
  const network = readNetwork(params);
  if (start === "snapshot" && network.kind !== "host") {
    throw new Error(`?start=snapshot is on the host network (the shipped snapshot was saved on it), not ?net=${network.kind}`);
  }
  // Like the disk, the shared folder's files open synchronously only in a worker; the shipped
  // snapshot was saved without one, so its machine stays as saved.
  const share = params.get("share") ?? (thread === "main" || start === "snapshot" ? "none" : "opfs");
  if (share !== "opfs" && share !== "none") throw new Error(`?share must be "opfs" or "none", not "${share}"`);
  if (share === "opfs" && thread === "main") throw new Error("?share=opfs needs ?thread=worker: OPFS files open synchronously only in a worker");
  if (share === "opfs" && start === "snapshot") throw new Error("?start=snapshot has no shared folder (the shipped snapshot was saved without one): leave out ?share=opfs");
  const balloon = params.get("balloon") ?? (start === "snapshot" ? "off" : "on");
  if (balloon !== "on" && balloon !== "off") throw new Error(`?balloon must be "on" or "off", not "${balloon}"`);
  if (balloon === "on" && start === "snapshot") throw new Error("?start=snapshot has no balloon (the shipped snapshot was saved without one): leave out ?balloon=on");
  return { thread, scheduler, jit, disk, network, start, boot, share, balloon };
}

/**
 * ?net=host (default) | switch | relay | wisp | fetch | none, ?policy=shared (default) |
 * per-queue, for a relay ?relay=ws(s)://... (v86's WebSocket relay format), for wisp
 * ?wisp=ws(s)://.../ (the wisp server).
 */
function readNetwork(params: URLSearchParams): NetworkRequest {
  const kind = params.get("net") ?? "host";
  const policy = params.get("policy") ?? "shared";
  if (policy !== "shared" && policy !== "per-queue") throw new Error(`?policy must be "shared" or "per-queue", not "${policy}"`);
  const wisp = params.get("wisp");
  if (kind === "wisp") {
    if (!wisp) throw new Error("?net=wisp needs ?wisp=wss://.../, the wisp server's address");
    const problem = wispUrlProblem(wisp);
    if (problem) throw new Error(`?${problem}`);
    return { kind, url: new URL(wisp).href, policy };
  }
  if (wisp) throw new Error("?wisp is only for ?net=wisp");
  const relay = params.get("relay");
  if (kind === "relay") {
    if (!relay) throw new Error("?net=relay needs ?relay=ws://... or wss://..., the relay's address");
    let url: URL;
    try {
      url = new URL(relay);
    } catch {
      throw new Error(`?relay is not a URL: "${relay}"`);
    }
    if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new Error(`?relay must be a ws:// or wss:// address, not "${relay}"`);
    return { kind, url: url.href, policy };
  }
  if (relay) throw new Error("?relay is only for ?net=relay");
  if (kind !== "host" && kind !== "switch" && kind !== "fetch" && kind !== "none") {
    throw new Error(`?net must be "host", "switch", "relay", "wisp", "fetch" or "none", not "${kind}"`);
  }
  return { kind, policy };
}
