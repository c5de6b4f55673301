// The page's first module to run (main.ts imports it before anything else, so it runs
// before the terminal's and the panels' code): it starts the machine's worker, and for the
// instant shell (?start=snapshot) the worker's download of the snapshot. The worker's own
// script and the snapshot then load while the page's code runs instead of after it. The
// address is read only for what needs no checking; main.ts reads the options properly (and
// a share link, in the fragment, decides its own start).
import { startWorkerEarly } from "./connect.js";
import { pageImagesUrl } from "./images-url.js";

const params = new URLSearchParams(location.search);
if (params.get("thread") !== "main") {
  const instantShell = params.get("start") === "snapshot" && location.hash === "";
  startWorkerEarly(instantShell ? pageImagesUrl() : undefined);
}
