// Booting an imported disk on the page (issue 14): a disk image with its own boot loader,
// kernel and root filesystem (images/disk/build-boot-disk.sh) goes in through the Disk
// panel, and ?boot=disk boots it through the firmware from the page's virtio-blk, as
// `npm run vm -- --boot disk` does in Node. SeaBIOS's own virtio driver reads the boot
// loader and the kernel; Linux's then mounts the disk's second partition as /.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { screenText, typeLine, waitForScreen } from "../support/terminal-screen.js";
import { createHash } from "node:crypto";
import { buildBootDisk, type BootDisk } from "../support/disk-boot-image.js";
import { waitForShell } from "../support/page-shell.js";

const LONG = 300_000;

describe("booting an imported disk on the page", () => {
  let site: BuiltSite;
  let page: Page;
  let disk: BootDisk;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    disk = await buildBootDisk();
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(site.url);
    await waitForShell(page);
  }, LONG);
  afterAll(async () => {
    await site?.close();
  });

  it("imports the boot disk, then ?boot=disk runs its own boot loader, kernel command line and root filesystem", async () => {
    page.once("dialog", (d) => void d.accept());
    await Promise.all([
      page.waitForEvent("load", { timeout: LONG }),
      page.locator("#disk-panel .disk-file").setInputFiles(disk.path),
    ]);
    await waitForShell(page);

    await page.screenshot({ path: `${artifacts}/disk-boot-imported.png` });
    // The panel tells what the imported image is, as the README does: booted, not mounted.
    await page.locator('#disk-panel[data-contents="partitioned"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#disk-panel .disk-hint").textContent()).toContain("boot it with ?boot=disk");
    await page.goto(`${site.url}?boot=disk`);
    try {
      await waitForShell(page);
    } finally {
      await page.screenshot({ path: `${artifacts}/disk-boot.png` });
    }
    // Short lines (the terminal wraps long ones): a digest of the command line, the root's type.
    await typeLine(page, "echo H=$(md5sum < /proc/cmdline | cut -c1-12) R=$(awk '$2 == \"/\" && $1 != \"rootfs\" {print $3}' /proc/mounts) D=$(grep -c build-boot-disk.sh /etc/ringside-boot-disk)");
    const screen = await waitForScreen(page, /^H=\w+ R=\w+ D=\S+$/m, 60_000);
    const line = screen.split("\n").find((l) => l.startsWith("H="))!;
    // syslinux's APPEND line, not the page's command line; / is the disk's ext2 partition,
    // which holds a file only the disk has.
    const expected = createHash("md5").update(`BOOT_IMAGE=bzImage ${disk.cmdline}\n`).digest("hex").slice(0, 12);
    expect(line).toBe(`H=${expected} R=ext2 D=1`);
    // The page says what boots: the disk's own kernel, not the bundled one.
    expect(await page.locator("#boot-panel .boot-summary-text").textContent()).toBe("Boot the persistent disk's own boot loader and kernel (?boot=disk)");
    expect(pageErrors).toEqual([]);
    expect(await screenText(page)).not.toMatch(/Kernel panic/);
  }, LONG);
});
