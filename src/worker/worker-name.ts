// A worker's name that carries one value (an address) after a fixed prefix and a space. A
// worker reads its name the moment it starts, while a message from the page to a worker
// that is still starting waits on the page's side until the page's main thread is free to
// pass it on (machine-worker-name.ts, state-download-messages.ts).

/** `prefix`, a space and `value`. */
export function nameCarrying(prefix: string, value: string): string {
  return `${prefix} ${value}`;
}

/** The value a name made by nameCarrying(prefix, ...) carries, or undefined for any other name. */
export function carriedByName(prefix: string, name: string): string | undefined {
  return name.startsWith(`${prefix} `) ? name.slice(prefix.length + 1) : undefined;
}
