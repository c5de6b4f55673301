// The machine's worker's name, which can say where the instant shell's files are. A worker
// reads its name the moment it starts, while a message from the page to a worker that is
// still starting waits on the page's side until the page's main thread is free to pass it
// on: with the instant shell that thread is busy with the page's own code for 50-100 ms,
// and the worker's first downloads waited with it (state-download-messages.ts, the same
// for the snapshot's download worker).
import { carriedByName, nameCarrying } from "./worker-name.js";

const MACHINE_WORKER_NAME = "ringside-machine";

/** The worker's name; with `shippedStateFrom` (the images' address), the name says so. */
export function machineWorkerName(shippedStateFrom?: string): string {
  return shippedStateFrom === undefined ? MACHINE_WORKER_NAME : nameCarrying(MACHINE_WORKER_NAME, shippedStateFrom);
}

/** The images' address in a machine worker's name, or undefined when it names none. */
export function shippedStateFromName(name: string): string | undefined {
  return carriedByName(MACHINE_WORKER_NAME, name);
}
