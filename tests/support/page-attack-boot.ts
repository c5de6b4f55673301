// Boots the built page for the attack test and puts the attack tool into its guest through
// the page's own doors: a share link gives the machine 256 MiB with `mem=192M` added to the
// kernel's command line (a link's "safe kernel extras"), so the tool's rings have RAM the
// kernel does not use; the Disk panel's Import replaces the page's OPFS disk with an image
// holding the tool (the page reloads and boots on it, and leaves a disk that holds no
// ext2/3/4 filesystem unmounted); the shell copies the tool off /dev/vda.
import { expect } from "vitest";
import type { Page } from "playwright-core";
import { BOOT_TIMEOUT, type BuiltSite } from "./built-site.js";
import { attackTool, toolDisk, type ToolDisk } from "./attack-tool.js";
import { shellAnswer, TabWatch } from "./page-attack.js";
import { waitForScreen } from "./terminal-screen.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareConfig } from "../../src/share/share-config.js";
import { contentFromConfig } from "../../src/share/share-content.js";

/** The page's machine as the attack needs it: its disk, its host network, RAM from 192 MiB up left to the tool. */
export const ATTACK_LINK: ShareConfig = {
  memoryMiB: 256,
  disk: "opfs",
  network: "host",
  policy: "shared",
  cmdlineExtras: "mem=192M",
  script: "",
  panel: "terminal",
};

/** The imported disk: the tool from sector 0, then a known pattern (1 MiB in all). */
const TOOL_DISK_BYTES = 1024 * 1024;

export interface AttackPage {
  page: Page;
  watch: TabWatch;
  tool: ToolDisk;
  /** The virtio console's PCI address in the guest (0000:00:xx.0). */
  consoleAddress: string;
}

async function waitForShell(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.state !== "booting" && document.body.dataset.state !== "loading", null, { timeout: BOOT_TIMEOUT });
  expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
  await waitForScreen(page, /ringside:~# /, BOOT_TIMEOUT);
  // The banner says what the link set; hidden, the terminal has the page's usual room.
  await page.locator("#share-banner .share-banner-hide").click();
  await page.locator("#terminal").click();
}

/** Opens the page on the attack's link, imports the tool's disk, and copies the tool to /tmp/attack in the guest. */
export async function openAttackPage(site: BuiltSite): Promise<AttackPage> {
  const page = await site.context.newPage();
  const watch = new TabWatch(page);
  await page.goto(`${site.url}#${await encodeShareFragment(contentFromConfig(ATTACK_LINK))}`);
  await waitForShell(page);
  expect(await page.locator("#share-banner").isHidden()).toBe(true);

  const tool = toolDisk(attackTool(), TOOL_DISK_BYTES, 0x70015);
  page.once("dialog", (d) => void d.accept());
  await Promise.all([
    page.waitForEvent("load", { timeout: BOOT_TIMEOUT }),
    page.locator("#disk-panel .disk-file").setInputFiles({ name: "attack-tool.img", mimeType: "application/octet-stream", buffer: Buffer.from(tool.image) }),
  ]);
  await waitForShell(page);
  // The reload closed the first machine's worker; from here on, any worker closing is a failure.
  watch.forgetClosedWorkers();
  await page.waitForFunction((bytes) => document.querySelector<HTMLElement>("#disk-panel")?.dataset.capacity === String(bytes), TOOL_DISK_BYTES);

  const cmdline = await shellAnswer(page, "echo cmdline-$(grep -o 'mem=192M' /proc/cmdline) mnt-$(grep -c ' /mnt ' /proc/mounts)", /^cmdline-(.*)$/m, 30_000);
  expect(cmdline, "the link's kernel parameter, and the tool's disk left unmounted").toBe("mem=192M mnt-0");
  const sha = await shellAnswer(
    page,
    `head -c ${tool.toolBytes} /dev/vda > /tmp/attack && chmod +x /tmp/attack && echo tool-$(sha256sum /tmp/attack | cut -c1-16)`,
    /^tool-([0-9a-f]{16})$/m,
    60_000,
  );
  expect(sha, "the tool's sha256 in the guest").toBe(tool.toolSha256.slice(0, 16));
  // The console is the one virtio function with device ID 0x1043.
  const consoleAddress = await shellAnswer(
    page,
    "echo console-at-$(grep -l 0x1043 /sys/bus/pci/devices/*/device | cut -d/ -f6)",
    /^console-at-(0000:00:[0-9a-f]{2}\.0)$/m,
    30_000,
  );
  return { page, watch, tool, consoleAddress };
}
