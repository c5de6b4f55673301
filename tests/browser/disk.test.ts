// The page's persistent disk in Chromium: the guest finds /dev/vda formatted and mounted
// at /mnt, what it writes there survives a reload (the browser keeps the image in OPFS),
// and the disk panel shows the disk and exports it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { stat } from "node:fs/promises";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { waitForShell } from "../support/page-shell.js";

const DISK_BYTES = 256 * 1024 * 1024;
const LONG = 300_000;

describe("the page's persistent disk", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];
  let written = "";

  beforeAll(async () => {
    site = await openBuiltSite();
    // One browser profile for the whole file: OPFS persists across reloads within it.
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(site.url);
    await waitForShell(page);
  });
  afterAll(async () => {
    await site?.close();
  });

  it("formats the empty disk as ext4 and mounts it at /mnt", async () => {
    await typeLine(page, "echo mnt-$(grep ' /mnt ' /proc/mounts | cut -d' ' -f1,3)");
    await waitForScreen(page, /^mnt-\/dev\/vda ext4$/m);
    await page.waitForFunction((bytes) => document.querySelector<HTMLElement>("#disk-panel")?.dataset.capacity === String(bytes), DISK_BYTES);
    expect(await page.locator("#disk-panel").isVisible()).toBe(true);
    expect(await page.locator("#disk-panel .disk-capacity").innerText()).toBe("256.0 MiB");
    expect(await page.locator("#disk-panel .disk-name").innerText()).toBe("ringside-disk.img");
  });

  it("keeps 64 MiB of random data in /mnt across a reload (sha256 compared)", async () => {
    await typeLine(page, "clear; dd if=/dev/urandom of=/mnt/random.bin bs=1M count=64 2>/dev/null && sync && echo written-$(sha256sum /mnt/random.bin)");
    const text = await waitForScreen(page, /^written-[0-9a-f]{64} \/mnt\/random\.bin$/m, LONG);
    written = /^written-([0-9a-f]{64})/m.exec(text)![1]!;
    // The panel counts what the guest wrote since boot: at least the file.
    await page.waitForFunction(() => /MiB/.test(document.querySelector("#disk-panel .disk-written")?.textContent ?? ""));
    const writtenText = await page.locator("#disk-panel .disk-written").innerText();
    expect(Number.parseFloat(writtenText)).toBeGreaterThanOrEqual(64);
    await page.screenshot({ path: `${artifacts}/disk-written.png` });

    await page.reload();
    await waitForShell(page);
    await typeLine(page, "echo mnt-$(grep ' /mnt ' /proc/mounts | cut -d' ' -f1,3); echo again-$(sha256sum /mnt/random.bin)");
    const after = await waitForScreen(page, /^again-[0-9a-f]{64} \/mnt\/random\.bin$/m, LONG);
    expect(after).toMatch(/^mnt-\/dev\/vda ext4$/m);
    expect(/^again-([0-9a-f]{64})/m.exec(after)![1]).toBe(written);
    await page.screenshot({ path: `${artifacts}/disk-after-reload.png` });
  }, LONG);

  it("exports the whole disk as a download from the panel", async () => {
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: LONG }), page.locator("#disk-panel .disk-export").click()]);
    expect(download.suggestedFilename()).toBe("ringside-disk.img");
    const path = await download.path();
    expect((await stat(path)).size).toBe(DISK_BYTES);
    await page.waitForFunction(() => /^Exported/.test(document.querySelector("#disk-panel .disk-message")?.textContent ?? ""));
    expect(pageErrors).toEqual([]);
    expect(await page.locator("#error-panel").isHidden()).toBe(true);
  }, LONG);

  it("refuses an image that is not whole sectors, and the machine carries on", async () => {
    await page.locator("#disk-panel .disk-file").setInputFiles({ name: "odd.img", mimeType: "application/octet-stream", buffer: Buffer.alloc(1000) });
    await page.waitForFunction(() => /Cannot import/.test(document.querySelector("#disk-panel .disk-message")?.textContent ?? ""));
    expect(await page.locator("#disk-panel .disk-message").innerText()).toMatch(/odd\.img: it is 1000 bytes, not a multiple of 512/);
    // The panel's buttons took the focus; give it back to the terminal.
    await page.locator("#terminal").click();
    await typeLine(page, "echo still-$((20+1))");
    await waitForScreen(page, /^still-21$/m);
  });

  it("imports an image from the panel: the machine restarts on it, and an image with no ext2/3/4 filesystem is left untouched", async () => {
    const image = Buffer.alloc(4 * 1024 * 1024, 0x5a);
    image.write("ringside-import", 0, "latin1");
    page.once("dialog", (d) => void d.accept());
    await Promise.all([
      page.waitForEvent("load", { timeout: LONG }),
      page.locator("#disk-panel .disk-file").setInputFiles({ name: "pattern.img", mimeType: "application/octet-stream", buffer: image }),
    ]);
    await waitForShell(page);
    await typeLine(page, "echo size-$(cat /sys/block/vda/size) mounted-$(grep -c ' /mnt ' /proc/mounts) head-$(dd if=/dev/vda bs=15 count=1 2>/dev/null)");
    await waitForScreen(page, /^size-8192 mounted-0 head-ringside-import$/m, LONG);
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#disk-panel")?.dataset.capacity === String(4 * 1024 * 1024));
  }, LONG);

  it("resets the disk from the panel: a fresh, empty 256 MiB ext4 after the restart", async () => {
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load", { timeout: LONG }), page.locator("#disk-panel .disk-reset").click()]);
    await waitForShell(page);
    // Besides lost+found, a fresh disk holds only "host": rc.boot mounts the disk at /mnt before
    // the shared folder, whose mount point /mnt/host it then makes on the disk.
    await typeLine(page, "echo size-$(cat /sys/block/vda/size) mnt-$(grep ' /mnt ' /proc/mounts | cut -d' ' -f1,3) files-$(ls /mnt | grep -vc -e '^lost+found$' -e '^host$')");
    await waitForScreen(page, /^size-524288 mnt-\/dev\/vda ext4 files-0$/m, LONG);
    await page.screenshot({ path: `${artifacts}/disk-after-reset.png` });
    expect(pageErrors).toEqual([]);
  }, LONG);
});
