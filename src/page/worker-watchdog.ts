// Notices a machine worker that stopped answering (stuck in a loop, or killed by the
// browser): the page pings it every WATCHDOG_INTERVAL_MS and gives up after
// WATCHDOG_LIMIT_MS without an answer. Once the page shows an error, it stops asking.

const WATCHDOG_INTERVAL_MS = 2000;
const WATCHDOG_LIMIT_MS = 15000;

/** Pings through `ping` until the page is in error; calls `silent` once with the reason when the worker stops answering. */
export function watchWorker(ping: () => Promise<unknown>, silent: (why: string) => void): void {
  let lastPong = performance.now();
  const timer = setInterval(() => {
    if (document.body.dataset.state === "error") return clearInterval(timer);
    if (performance.now() - lastPong > WATCHDOG_LIMIT_MS) {
      clearInterval(timer);
      silent(`its worker has not answered for ${WATCHDOG_LIMIT_MS / 1000} s`);
      return;
    }
    ping().then(() => { lastPong = performance.now(); }, () => {});
  }, WATCHDOG_INTERVAL_MS);
}
