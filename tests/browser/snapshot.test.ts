// Machine snapshots from the page in Chromium: the whole machine saved as a download (RAM,
// devices, the persistent disk), restored through the file picker after a reload with its
// files, shell and devices working; bad files refused without stopping anything; the
// instant shell (?start=snapshot) from the snapshot shipped with the site, and a stale one
// refused in favour of a cold boot that says why, as is a missing one; a reader who comes
// back gets the instant shell from the copy kept in the browser's storage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { serveStatic } from "../support/static-server.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { machineHeader, withEditedHeader } from "../support/crafted-states.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import { waitForShell } from "../support/page-shell.js";
import { STATE_CACHE_FOLDER } from "../../src/worker/state-cache.js";

const LONG = 300_000;
const PROMPT = /ringside:~# /;

/** Waits for the shell; the prompt must reach the screen without anything typed. */
async function origin(page: Page): Promise<{ kind: string | undefined; text: string }> {
  return page.evaluate(() => {
    const panel = document.querySelector<HTMLElement>("#state-panel");
    return { kind: panel?.dataset.origin, text: panel?.querySelector(".state-origin")?.textContent ?? "" };
  });
}

async function bootPhases(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: Record<string, number> }).ringsideBoot));
}

/** The rng, the network and the shell, checked from inside the guest. */
async function checkDevices(page: Page): Promise<void> {
  const want = blobSha256(100_000, 3).slice(0, 16);
  await typeLine(page, "clear; echo rng-$(head -c 16 /dev/hwrng | wc -c) sha-$(wget -q -O - 'http://10.0.2.2/blob?bytes=100000&seed=3' | sha256sum | cut -c1-16)");
  const text = await waitForScreen(page, /^rng-\d+ sha-\w*$/m, 60_000);
  expect(text).toMatch(new RegExp(`^rng-16 sha-${want}$`, "m"));
}

describe("machine snapshots from the page", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  let saved: Buffer = Buffer.alloc(0);

  beforeAll(async () => {
    site = await openBuiltSite();
    // The page's default machine, with its persistent disk at /mnt.
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goto(site.url);
    await waitForShell(page, PROMPT);
  });
  afterAll(async () => {
    await site?.close();
  });

  it("saves the whole machine as a download after files were written to /tmp and to the disk", async () => {
    expect(await origin(page)).toEqual({ kind: "booted", text: "booted from scratch" });
    await typeLine(page, "clear; echo ram-$((40+2)) > /tmp/note; echo disk-$((6*7)) > /mnt/note; sync; echo noted-$((1+1))");
    await waitForScreen(page, /^noted-2$/m);
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: LONG }), page.locator("#state-panel .state-save").click()]);
    expect(download.suggestedFilename()).toMatch(/^ringside-\d{4}-\d\d-\d\d-\d{6}\.state$/);
    saved = await readFile(await download.path());
    expect([saved[0], saved[1]]).toEqual([0x1f, 0x8b]);
    expect(saved.length).toBeGreaterThan(1024 * 1024);
    await page.waitForFunction(() => /^Saved /.test(document.querySelector("#state-panel .state-message")?.textContent ?? ""));
    expect(await page.locator("#state-panel .state-message").innerText()).toContain(download.suggestedFilename());
    await page.screenshot({ path: `${artifacts}/snapshot-saved.png` });
  }, LONG);

  it("restores it through the picker after a reload: files in RAM and on the disk, the shell, the rng and the network", async () => {
    // Change what the state must bring back, then boot afresh. (The Save button took the focus.)
    await page.locator("#terminal").click();
    await typeLine(page, "clear; rm /tmp/note; echo changed > /mnt/note; sync; echo changed-$((2+2))");
    await waitForScreen(page, /^changed-4$/m);
    await page.reload();
    await waitForShell(page, PROMPT);
    await typeLine(page, "clear; echo before-$(cat /tmp/note 2>/dev/null || echo none)-$(cat /mnt/note)");
    await waitForScreen(page, /^before-none-changed$/m);

    dialogs.length = 0;
    await Promise.all([
      page.waitForEvent("load", { timeout: LONG }),
      page.locator("#state-panel .state-file").setInputFiles({ name: "saved.state", mimeType: "application/octet-stream", buffer: saved }),
    ]);
    // The page asked first, and said that the persistent disk would be replaced.
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toMatch(/from "saved\.state"[\s\S]*256\.0 MiB disk: everything on this browser's persistent disk is replaced/);
    await waitForShell(page, PROMPT);
    expect(await origin(page)).toMatchObject({ kind: "restored", text: expect.stringMatching(/^restored from the state saved\.state \(saved .*; its disk is now this browser's persistent disk\)$/) });
    // Taken up, not booted: the firmware never ran.
    expect(await bootPhases(page)).not.toContain("firmware");
    await typeLine(page, "echo got-$(cat /tmp/note)-$(cat /mnt/note)");
    await waitForScreen(page, /^got-ram-42-disk-42$/m);
    await checkDevices(page);
    await page.screenshot({ path: `${artifacts}/snapshot-restored.png` });

    // The next reload boots from scratch, on the disk the state brought.
    await page.reload();
    await waitForShell(page, PROMPT);
    expect(await origin(page)).toMatchObject({ kind: "booted" });
    expect(await bootPhases(page)).toContain("firmware");
    await typeLine(page, "clear; echo again-$(cat /tmp/note 2>/dev/null || echo none)-$(cat /mnt/note)");
    await waitForScreen(page, /^again-none-disk-42$/m);
  }, LONG);

  it("refuses bad state files with a clear message before stopping anything, and the machine carries on", async () => {
    const bad: Array<[string, Buffer, RegExp]> = [
      ["random.state", randomBytes(100_000), /not a ringside state file \(it is not gzip-compressed\)/],
      ["text.state", gzipSync("hello, not a state\n"), /its first line is not RINGSIDE-STATE/],
      ["truncated.state", saved.subarray(0, saved.length >> 1), /damaged|truncated/],
      ["old-v86.state", withEditedHeader(saved, (s) => void (machineHeader(s)["v86Version"] = "0.5.1")), /saved with v86 0\.5\.1/],
      ["future.state", withEditedHeader(saved, (s) => void (machineHeader(s)["version"] = 3)), /header\.version must be 2: this ringside reads version 2 only/],
      ["other-machine.state", withEditedHeader(saved, (s) => void (machineHeader(s)["machine"] = { version: 1, memoryMiB: 64, cmdline: "", devices: [] })), /header\.machine: memoryMiB must be an integer from 128/],
    ];
    dialogs.length = 0;
    for (const [name, buffer, reason] of bad) {
      await page.locator("#state-panel .state-file").setInputFiles({ name, mimeType: "application/octet-stream", buffer });
      await page.waitForFunction((n) => (document.querySelector("#state-panel .state-message")?.textContent ?? "").startsWith(`Cannot restore ${n}`), name, { timeout: 60_000 });
      const message = page.locator("#state-panel .state-message");
      expect(await message.innerText()).toMatch(reason);
      expect(await message.getAttribute("class")).toContain("error");
    }
    await page.screenshot({ path: `${artifacts}/snapshot-refused.png` });
    expect(dialogs).toEqual([]);
    await page.locator("#terminal").click();
    await typeLine(page, "clear; echo still-$((20+1))-$(cat /mnt/note)");
    await waitForScreen(page, /^still-21-disk-42$/m);
    expect(pageErrors).toEqual([]);
  }, LONG);

  it("?start=snapshot (the header's Instant shell) is a working prompt from the shipped snapshot, with no boot and no disk", async () => {
    expect(await page.locator("#instant-shell").getAttribute("href")).toBe("?start=snapshot");
    const instant = await site.context.newPage();
    // Every file the page and its worker ask for.
    const asked: string[] = [];
    instant.on("request", (r) => asked.push(new URL(r.url()).pathname.replace(/^.*\//, "")));
    const started = Date.now();
    await instant.goto(`${site.url}?start=snapshot`);
    await waitForShell(instant);
    console.info(`instant shell: prompt on screen ${Date.now() - started} ms after navigation (not asserted)`);
    expect(await bootPhases(instant)).toEqual(["loading", "shell"]);
    // The state's RAM holds the kernel and initrd: only the firmware is fetched, and the
    // snapshot is checked against the build's digests (images.json).
    expect(asked).toEqual(expect.arrayContaining(["shell.state", "shell.state.json", "images.json", "bios.bin"]));
    expect(asked).not.toContain("bzImage");
    expect(asked).not.toContain("initrd.img");
    // The header still names the kernel's version, from the build's manifest.
    expect(await instant.locator("#boot-source").innerText()).toMatch(/^running the bundled kernel \d+\.\d+/);
    const steps = await instant.locator("#boot-progress li").evaluateAll((lis) => lis.map((li) => li.className));
    expect(steps).toEqual(["done", "skipped", "skipped", "done"]);
    // What the first step loaded: the snapshot, not the images a boot would fetch.
    expect(await instant.locator("#boot-progress li").first().innerText()).toMatch(/^Loading snapshot\s*(at \d+\.\d\d s|\d+ %)$/);
    expect(await origin(instant)).toMatchObject({ kind: "instant", text: expect.stringMatching(/^instant shell: restored from the snapshot shipped with the site/) });
    await typeLine(instant, "echo answer-$((6*7)) devs-$(ls /sys/bus/virtio/devices | wc -l) vda-$(ls /dev/vda 2>/dev/null | wc -l)");
    const screen = await waitForScreen(instant, /^answer-42 devs-3 vda-0$/m);
    // The state's saved prompt line, shown at once, and the guest's redraws of it on the
    // page's size all landed on one line: the command is typed on the screen's first.
    expect(screen.trimStart()).toMatch(/^ringside:~# echo answer-/);
    await checkDevices(instant);
    expect(await instant.locator("#disk-panel").isHidden()).toBe(true);
    await instant.screenshot({ path: `${artifacts}/snapshot-instant-shell.png` });
    await instant.close();
  }, LONG);

  it("the instant shell again: from the snapshot kept in this browser's storage, and downloaded again when that copy is damaged", async () => {
    // The test before opened the instant shell on this site, which kept its snapshot.
    const open = async (): Promise<{ page: Page; asked: string[] }> => {
      const opened = await site.context.newPage();
      const asked: string[] = [];
      opened.on("request", (r) => asked.push(new URL(r.url()).pathname.replace(/^.*\//, "")));
      await opened.goto(`${site.url}?start=snapshot`);
      await waitForShell(opened);
      return { page: opened, asked };
    };
    /** The kept entries' names and sizes. */
    const kept = (p: Page): Promise<Array<[string, number]>> =>
      p.evaluate(async (folder) => {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder);
        const out: Array<[string, number]> = [];
        for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries()) out.push([name, (await handle.getFile()).size]);
        return out;
      }, STATE_CACHE_FOLDER);

    const back = await open();
    expect(back.asked).toContain("shell.state.json");
    expect(back.asked).not.toContain("shell.state");
    const record = (await back.page.evaluate(() => fetch("images/shell.state.json").then((r) => r.json()))) as { stateSha256: string };
    const entries = await kept(back.page);
    expect(entries.map(([name]) => name)).toEqual([`shell-${record.stateSha256}.state`]);
    const size = entries[0]![1];
    expect(size).toBeGreaterThan(4 * 1024 * 1024);
    await typeLine(back.page, "echo kept-$((6*7)) devs-$(ls /sys/bus/virtio/devices | wc -l)");
    await waitForScreen(back.page, /^kept-42 devs-3$/m);
    await checkDevices(back.page);

    // Cut short, as a storage that failed half-way would leave it: refused, downloaded, kept again.
    await back.page.evaluate(async ([folder, name]) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder!);
      const writable = await (await dir.getFileHandle(name!)).createWritable({ keepExistingData: true });
      await writable.truncate(1000);
      await writable.close();
    }, [STATE_CACHE_FOLDER, entries[0]![0]]);
    expect(await kept(back.page)).toEqual([[entries[0]![0], 1000]]);
    await back.page.close();
    const again = await open();
    expect(again.asked).toContain("shell.state");
    await typeLine(again.page, "echo fresh-$((6*7))");
    await waitForScreen(again.page, /^fresh-42$/m);
    await again.page.waitForFunction(
      async ([folder, name, bytes]) => {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder as string);
        return (await (await dir.getFileHandle(name as string)).getFile()).size === bytes;
      },
      [STATE_CACHE_FOLDER, entries[0]![0], size] as const,
      { timeout: 60_000 },
    );
    await again.page.close();
    expect(pageErrors).toEqual([]);
  }, LONG);

  it("a stale shipped snapshot is refused with the reason, and the page boots from scratch instead", async () => {
    // A copy of the site whose snapshot was made from another kernel.
    const dist = await mkdtemp(join(tmpdir(), "ringside-stale-"));
    await cp(process.env.RINGSIDE_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url)), dist, { recursive: true });
    const recordPath = join(dist, "images", "shell.state.json");
    const record = JSON.parse(await readFile(recordPath, "utf8")) as { images: Record<string, string> };
    record.images["bzImage"] = "0".repeat(64);
    await writeFile(recordPath, JSON.stringify(record));
    const server = await serveStatic(dist);
    try {
      const stale = await site.context.newPage();
      const asked: string[] = [];
      stale.on("request", (r) => asked.push(new URL(r.url()).pathname.replace(/^.*\//, "")));
      await stale.goto(`${server.url}?start=snapshot`);
      await waitForShell(stale);
      expect(await bootPhases(stale)).toContain("firmware");
      // The boot that replaced the snapshot loaded images, and its first step says so again.
      expect(await stale.locator("#boot-progress li").first().innerText()).toMatch(/^Loading images\s*(at \d+\.\d\d s|\d+ %)$/);
      const said = await origin(stale);
      expect(said.kind).toBe("fallback");
      expect(said.text).toMatch(/^The instant shell's snapshot could not be restored: shell\.state was made from other images \(bzImage changed since .*\): make it again with npx tsx images\/make-shell-state\.ts\. Booted from scratch instead\.$/);
      // Refused from the digests, before any image was asked for: the kernel came for the cold boot, after the snapshot's record.
      expect(asked.indexOf("bzImage")).toBeGreaterThan(asked.indexOf("shell.state.json"));
      await typeLine(stale, "echo cold-$((3*3))");
      await waitForScreen(stale, /^cold-9$/m);
      await stale.screenshot({ path: `${artifacts}/snapshot-stale-fallback.png` });
      await stale.close();
    } finally {
      await server.close();
      await rm(dist, { recursive: true, force: true });
    }
  }, LONG);

  it("a missing shipped snapshot: its download worker's failure is named, and the page boots from scratch", async () => {
    const dist = await mkdtemp(join(tmpdir(), "ringside-missing-"));
    await cp(process.env.RINGSIDE_DIST ?? fileURLToPath(new URL("../../dist/", import.meta.url)), dist, { recursive: true });
    await rm(join(dist, "images", "shell.state"));
    const server = await serveStatic(dist);
    try {
      const missing = await site.context.newPage();
      await missing.goto(`${server.url}?start=snapshot`);
      await waitForShell(missing);
      const said = await origin(missing);
      expect(said.kind).toBe("fallback");
      expect(said.text).toMatch(/^The instant shell's snapshot could not be restored: cannot fetch http:\/\/127\.0\.0\.1:\d+\/ringside\/images\/shell\.state: HTTP 404 Not Found\. Booted from scratch instead\.$/);
      expect(await bootPhases(missing)).toContain("firmware");
      await missing.close();
    } finally {
      await server.close();
      await rm(dist, { recursive: true, force: true });
    }
  }, LONG);
});
