// The page's entry, small on purpose: it starts the machine's worker (early-start.ts) and
// then loads the page's own code (main.ts, the terminal and every panel: 570 KB). A browser
// starts a worker only once the page's main thread is free, so a worker started from the
// big module began only after all of it had been parsed and run; from here it starts while
// that code is still downloading and parsing.
import "./early-start.js";
import "./style.css";
import { errorMessage } from "../util/error-message.js";

import("./main.js").catch((err: unknown) => {
  // The page's code did not load (a broken deployment, or the network went away): say so
  // where the page's own error panel would, without any of that code.
  const panel = document.querySelector<HTMLElement>("#error-panel");
  document.body.dataset.state = "error";
  if (!panel) return;
  panel.querySelector(".error-title")!.textContent = "The page could not load";
  panel.querySelector(".error-message")!.textContent = `Its code did not load: ${errorMessage(err)}. Reload to try again.`;
  panel.hidden = false;
});
