// The page's first module to run (page-entry.ts imports it before it loads main.ts, the
// terminal's and the panels' code): it starts the machine's worker, and for the
// instant shell (?start=snapshot) the snapshot's download worker (connect.ts). The
// machine's code and the snapshot then load while the page's code runs instead of after it.
// Only where the page will start a machine for certain: a share link (in the fragment) is
// checked by main.ts first, and a bad link, like a bad option, must start nothing, so with
// a fragment or options that do not read, nothing starts here and main.ts says why.
import { startWorkerEarly } from "./connect.js";
import { pageImagesUrl } from "./images-url.js";
import { readPageOptions, type PageOptions } from "./page-options.js";

function optionsIfPlain(): PageOptions | undefined {
  if (location.hash !== "") return undefined;
  try {
    return readPageOptions(location.search);
  } catch {
    return undefined;
  }
}

const options = optionsIfPlain();
if (options && options.thread !== "main") startWorkerEarly(options.start === "snapshot" ? pageImagesUrl() : undefined);
