// The Boot panel in Chromium: ringside's own bzImage and initrd picked as files boot to the
// shell, the header names the kernel by its version string, the choice boots again on
// reload and "Use the bundled images" goes back; wrong files (an initrd as the kernel, a
// truncated bzImage, a kernel as the initrd, one over the size limit, a dropped file that
// is no kernel) are refused with the reason and nothing is kept or booted; addresses on a
// server with CORS headers boot (size and sha256 shown), one without them is named as a
// CORS refusal and a closed port as no answer, with nothing kept; a kept address that stops
// answering shows the error with the way back; a kernel that panics is reported with the
// serial port's last lines. Share links naming a kernel by address: boot-link.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { closedPortUrl, makeBootFiles, serveBootFiles, type BootFiles, type FileServer } from "../support/boot-files.js";

const LONG = 240_000;
const NOTE = "ringside-boot-choice";

async function waitForBoot(page: Page): Promise<string> {
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state ?? "") || document.body.dataset.boot === "panic", null, { timeout: BOOT_TIMEOUT });
  return (await page.evaluate(() => document.body.dataset.boot ?? document.body.dataset.state)) ?? "";
}

/** Runs `action` and waits for the page it causes to load. */
async function reloadsWith(page: Page, action: () => Promise<void>): Promise<void> {
  await Promise.all([page.waitForEvent("load", { timeout: LONG }), action()]);
}

async function headline(page: Page): Promise<string> {
  await page.waitForFunction(() => /^running /.test(document.querySelector("#boot-source")?.textContent ?? ""), null, { timeout: BOOT_TIMEOUT });
  return page.locator("#boot-source").innerText();
}

/** What this origin keeps for the Boot panel: the note and the kept files' names. */
async function kept(page: Page): Promise<{ note: string | null; files: string[] }> {
  return page.evaluate(async (key) => {
    const root = await navigator.storage.getDirectory();
    const files: string[] = [];
    for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) if (name.startsWith("ringside-boot")) files.push(name);
    return { note: localStorage.getItem(key), files: files.sort() };
  }, NOTE);
}

const slot = (page: Page, role: "kernel" | "initrd") => page.locator(`#boot-panel .boot-slot[data-role="${role}"]`);

async function openForm(page: Page): Promise<void> {
  if (await page.locator("#boot-panel .boot-form").isHidden()) await page.locator("#boot-panel .boot-choose").click();
}

async function factsSay(page: Page, role: "kernel" | "initrd", pattern: RegExp): Promise<string> {
  const facts = slot(page, role).locator(".boot-facts");
  await page.waitForFunction(([r, p]) => new RegExp(p).test(document.querySelector(`#boot-panel .boot-slot[data-role="${r}"] .boot-facts`)?.textContent ?? ""), [role, pattern.source] as const, { timeout: LONG });
  return facts.innerText();
}

describe("the Boot panel in Chromium", () => {
  let site: BuiltSite;
  let files: BootFiles;
  let withCors: FileServer;
  let withoutCors: FileServer;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    files = await makeBootFiles();
    withCors = await serveBootFiles(files.dir, true);
    withoutCors = await serveBootFiles(files.dir, false);
    page = await site.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(site.url);
    expect(await waitForBoot(page)).toBe("ready");
  });
  afterAll(async () => {
    await site?.close();
    await withCors?.close();
    await withoutCors?.close();
    await files?.close();
  });

  it("boots ringside's own images picked as files, again after a reload, and goes back to the bundled ones", async () => {
    expect(await headline(page)).toBe(`running the bundled kernel ${files.version}`);
    await openForm(page);
    await slot(page, "kernel").locator(".boot-file").setInputFiles(files.kernel.path);
    expect(await factsSay(page, "kernel", /sha256/)).toBe(`bzImage: ${(files.kernel.bytes / 1048576).toFixed(1)} MiB, Linux ${files.version}, sha256 ${files.kernel.sha256}`);
    await slot(page, "initrd").locator(".boot-file").setInputFiles(files.initrd.path);
    expect(await factsSay(page, "initrd", /sha256/)).toBe(`initrd.img: ${(files.initrd.bytes / 1048576).toFixed(1)} MiB, cpio archive, sha256 ${files.initrd.sha256}`);
    // Checked, not kept: nothing is stored before Boot.
    expect(await kept(page)).toEqual({ note: null, files: [] });
    await page.screenshot({ path: `${artifacts}/boot-panel-picked.png` });

    await reloadsWith(page, () => page.locator("#boot-panel .boot-go").click());
    expect(await waitForBoot(page)).toBe("ready");
    const mine = `running your kernel ${files.version} from bzImage, your initrd initrd.img`;
    expect(await headline(page)).toBe(mine);
    await waitForScreen(page, /ringside:~# /);
    await page.locator("#terminal").click();
    await typeLine(page, "echo release-$(uname -r)");
    await waitForScreen(page, new RegExp(`^release-${files.version.replace(/\./g, "\\.")}$`, "m"));
    const store = await kept(page);
    expect(store.files).toHaveLength(2);
    expect(store.files.every((f) => /^ringside-boot\.(kernel|initrd)\.[0-9a-f]{8}\.img$/.test(f))).toBe(true);
    expect(JSON.parse(store.note ?? "{}")).toMatchObject({ kernel: { kind: "kept", fileName: "bzImage", bytes: files.kernel.bytes, sha256: files.kernel.sha256 }, initrd: { kind: "kept", fileName: "initrd.img" } });
    expect(await page.locator("#boot-panel .boot-now").innerText()).toBe("your choice, kept in this browser: bzImage with initrd.img");
    // Another initrd than ringside's own may not mount the disk: the panel does not promise it.
    expect(await page.locator("#disk-panel .disk-hint").innerText()).toMatch(/mounted at \/mnt by ringside's userspace only/);
    await page.screenshot({ path: `${artifacts}/boot-panel-your-kernel.png` });

    await page.reload();
    expect(await waitForBoot(page)).toBe("ready");
    expect(await headline(page)).toBe(mine);

    await reloadsWith(page, () => page.locator("#boot-panel .boot-bundled").click());
    expect(await waitForBoot(page)).toBe("ready");
    expect(await headline(page)).toBe(`running the bundled kernel ${files.version}`);
    expect(await kept(page)).toEqual({ note: null, files: [] });
    expect(await page.locator("#disk-panel .disk-hint").innerText()).toBe("(/dev/vda at /mnt, kept in this browser; drop an image here to import it)");
    expect(errors).toEqual([]);
  }, LONG);

  it("refuses wrong files with the reason, keeps nothing and boots nothing", async () => {
    await page.evaluate(() => Object.assign(window, { sameLoad: true }));
    await openForm(page);
    const kernelInput = slot(page, "kernel").locator(".boot-file");
    await kernelInput.setInputFiles(files.initrd.path);
    expect(await factsSay(page, "kernel", /Refused: initrd\.img/)).toBe("Refused: initrd.img: a cpio archive (an initrd?), not a kernel");
    await kernelInput.setInputFiles(files.truncatedKernel);
    expect(await factsSay(page, "kernel", /Refused: bzImage-truncated/)).toMatch(new RegExp(`^Refused: bzImage-truncated: truncated: its header says \\d+ bytes, the file has 1048576$`));
    await kernelInput.setInputFiles(files.oversize);
    expect(await factsSay(page, "kernel", /huge\.img is/)).toBe("huge.img is 600.0 MiB: the page takes files up to 512.0 MiB");
    await slot(page, "initrd").locator(".boot-file").setInputFiles(files.kernel.path);
    expect(await factsSay(page, "initrd", /Refused: bzImage:/)).toBe("Refused: bzImage: a Linux kernel (bzImage), not an initrd");
    // Dropped on the kernel's line: a file that is no kernel at all.
    await slot(page, "kernel").evaluate((line) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(4096).fill(7)], "notes.txt"));
      line.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    expect(await factsSay(page, "kernel", /Refused: notes/)).toBe('Refused: notes.txt: not a Linux x86 kernel: no boot header ("HdrS" at 0x202)');
    await page.locator("#boot-panel .boot-go").click();
    await page.waitForFunction(() => /Choose a kernel first/.test(document.querySelector("#boot-panel .boot-message")?.textContent ?? ""));
    await page.screenshot({ path: `${artifacts}/boot-panel-refused.png` });
    expect(await kept(page)).toEqual({ note: null, files: [] });
    expect(await page.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);
    expect(await headline(page)).toBe(`running the bundled kernel ${files.version}`);
    expect(errors).toEqual([]);
  }, LONG);

  it("boots addresses served with CORS (size and sha256 shown); names a CORS refusal and a closed port, keeping nothing", async () => {
    await openForm(page);
    await slot(page, "kernel").locator(".boot-url").fill(`${withCors.url}bzImage`);
    await slot(page, "initrd").locator(".boot-url").fill(`${withCors.url}initrd.img`);
    expect(await factsSay(page, "kernel", /when you press Boot/)).toBe("fetched when you press Boot");
    expect(withCors.requests).toEqual([]);
    await reloadsWith(page, () => page.locator("#boot-panel .boot-go").click());
    expect(await waitForBoot(page)).toBe("ready");
    expect(await headline(page)).toBe(`running your kernel ${files.version} from ${withCors.url}bzImage, your initrd ${withCors.url}initrd.img`);
    await openForm(page);
    expect(await factsSay(page, "kernel", /sha256/)).toBe(`fetched: ${(files.kernel.bytes / 1048576).toFixed(1)} MiB, Linux ${files.version}, sha256 ${files.kernel.sha256}`);
    expect(await factsSay(page, "initrd", /sha256/)).toMatch(new RegExp(`sha256 ${files.initrd.sha256}$`));
    // Checked when Boot was pressed, then fetched again by the boot.
    expect(withCors.requests.filter((r) => r === "GET /files/bzImage")).toHaveLength(2);
    await page.screenshot({ path: `${artifacts}/boot-panel-urls.png` });
    const note = (await kept(page)).note;

    await page.evaluate(() => Object.assign(window, { sameLoad: true }));
    await slot(page, "kernel").locator(".boot-url").fill(`${withoutCors.url}bzImage`);
    await page.locator("#boot-panel .boot-go").click();
    expect(await factsSay(page, "kernel", /Refused: cannot fetch/)).toBe(
      `Refused: cannot fetch the kernel ${withoutCors.url}bzImage: the server answered but does not let this page read the file ` +
        "(CORS: no Access-Control-Allow-Origin header for this page) (Failed to fetch)",
    );
    const closed = await closedPortUrl();
    await slot(page, "kernel").locator(".boot-url").fill(`${closed}bzImage`);
    await page.locator("#boot-panel .boot-go").click();
    expect(await factsSay(page, "kernel", /did not answer/)).toMatch(new RegExp(`^Refused: cannot fetch the kernel ${closed}bzImage: the server did not answer`));
    await page.screenshot({ path: `${artifacts}/boot-panel-url-refused.png` });
    expect(await page.locator("#boot-panel .boot-message").innerText()).toBe("Nothing was kept: see the reason above.");
    expect((await kept(page)).note).toBe(note);
    expect(await page.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);

    // A kept address that stops answering: the machine does not start, and one click goes back.
    await page.evaluate(([key, url]) => {
      const choice = JSON.parse(localStorage.getItem(key) ?? "{}") as { kernel: { url: string } };
      choice.kernel.url = url;
      localStorage.setItem(key, JSON.stringify(choice));
    }, [NOTE, `${closed}bzImage`] as const);
    await page.reload();
    expect(await waitForBoot(page)).toBe("error");
    expect(await page.locator("#error-panel .error-message").innerText()).toMatch(new RegExp(`^cannot fetch the kernel ${closed}bzImage: the server did not answer`));
    expect(await page.evaluate(() => Object.keys((window as unknown as { ringsideBoot: object }).ringsideBoot))).toEqual(["loading"]);
    await page.screenshot({ path: `${artifacts}/boot-panel-url-gone.png` });
    await reloadsWith(page, () => page.locator("#error-panel .error-action").click());
    expect(await waitForBoot(page)).toBe("ready");
    expect(await kept(page)).toEqual({ note: null, files: [] });
    expect(errors).toEqual([]);
  }, LONG);

  it("reports a kernel that panics: the panic, the last phase, the serial port's last lines, the way back", async () => {
    await openForm(page);
    await slot(page, "kernel").locator(".boot-file").setInputFiles(files.kernel.path);
    await factsSay(page, "kernel", /sha256/);
    // No initrd and no root= : the kernel cannot mount a root filesystem.
    await page.locator("#boot-panel .boot-cmdline").fill("console=ttyS0 earlyprintk=serial");
    await reloadsWith(page, () => page.locator("#boot-panel .boot-go").click());
    expect(await waitForBoot(page)).toBe("panic");
    const report = page.locator("#boot-report");
    await report.waitFor({ state: "visible" });
    expect(await report.locator("h2").innerText()).toBe("The kernel panicked");
    expect(await report.locator(".boot-report-line").innerText()).toMatch(/^Kernel panic - not syncing: VFS: Unable to mount root fs/);
    expect(await report.locator(".boot-report-phase").innerText()).toBe("Last boot phase: the kernel's start-up.");
    expect(await report.locator(".boot-report-tail").innerText()).toMatch(/Kernel panic - not syncing/);
    expect(await headline(page)).toBe(`running your kernel ${files.version} from bzImage, no initrd`);
    await page.screenshot({ path: `${artifacts}/boot-panel-panic.png` });
    await reloadsWith(page, () => report.locator(".boot-report-bundled").click());
    expect(await waitForBoot(page)).toBe("ready");
    expect(await kept(page)).toEqual({ note: null, files: [] });
    expect(errors).toEqual([]);
  }, LONG);
});
