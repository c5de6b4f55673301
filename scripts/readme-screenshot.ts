// Takes the README's screenshot (docs/screenshot.png) from the built site in Debian's
// Chromium: the shell beside the inspector while a download runs: the network card's rings
// and counters. Run after `npm run build`: `npx tsx scripts/readme-screenshot.ts`.
import { openBuiltSite } from "../tests/support/built-site.js";
import { waitForShell } from "../tests/support/page-shell.js";
import { typeLine } from "../tests/support/terminal-screen.js";

const OUT = new URL("../docs/screenshot.png", import.meta.url).pathname;

const site = await openBuiltSite();
try {
  const page = await site.context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(`${site.url}?inspector=open&disk=none`);
  await waitForShell(page);
  // A long download in the background, so that the rings are busy when the picture is taken.
  await page.locator("#terminal").click();
  await typeLine(page, "wget -O /dev/null 'http://host/blob?bytes=1073741824&seed=1' &");
  const net = page.locator('#inspector details.device[data-name="virtio-net"]');
  if (!(await net.evaluate((d) => (d as HTMLDetailsElement).open))) await net.locator(":scope > summary").click();
  await page.waitForTimeout(3000);
  await net.locator(".queue canvas.ring-picture").first().evaluate((c) => c.scrollIntoView({ block: "center" }));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: OUT });
  await typeLine(page, "kill %1");
  console.log(`wrote ${OUT}`);
} finally {
  await site.close();
}
