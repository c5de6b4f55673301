// The built page (dist/, as any static host would serve it) in Debian's Chromium: boot to
// the shell in the worker, type into the terminal, read the answer back from the screen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForScreen } from "../support/terminal-screen.js";


describe("the page in Chromium", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(site.url);
    await page.waitForFunction(() => document.body.dataset.state !== "booting" && document.body.dataset.state !== "loading", null, { timeout: BOOT_TIMEOUT });
  });
  afterAll(async () => {
    await site?.close();
  });

  it("boots to the shell prompt in the worker, with every progress step done", async () => {
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
    await waitForScreen(page, /ringside:~# /);
    const steps = await page.locator("#boot-progress li").evaluateAll((lis) => lis.map((li) => [li.textContent, li.className, (li as HTMLElement).title]));
    expect(steps.map(([, c]) => c)).toEqual(["done", "done", "done", "done"]);
    // The images' share fetched in the step (its amounts in the tooltip), then the time each later step was reached.
    expect(steps[0]![0]).toMatch(/^Loading images\s*100 %$/);
    expect(steps[0]![2]).toMatch(/^[\d.]+ MiB of [\d.]+ MiB fetched$/);
    for (const [text] of steps.slice(1)) expect(text).toMatch(/^\w+\s*at \d+\.\d\d s$/);
    expect(await page.locator("#error-panel").isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("runs what is typed: echo $((6*7)) prints 42", async () => {
    await page.locator("#terminal").click();
    await page.keyboard.type("echo $((6*7))");
    await page.keyboard.press("Enter");
    const text = await waitForScreen(page, /^42$/m);
    expect(text).toMatch(/ringside:~# echo \$\(\(6\*7\)\)\n42\n/);
    await page.screenshot({ path: `${artifacts}/shell-42.png` });
  });

  it("delivers Ctrl-C to the foreground job", async () => {
    await page.keyboard.type("sleep 600");
    await page.keyboard.press("Enter");
    // A Ctrl-C that lands before the shell has made sleep the foreground job goes to the
    // shell, which ignores it (a busy machine is that slow): press it until the prompt
    // comes back after the sleep, which only a delivered SIGINT can bring before 600 s.
    const promptAfterSleep = /sleep 600\n(\^C\n?)+ringside:~#\s*$/m;
    for (let attempt = 0; attempt < 6; attempt++) {
      await page.waitForTimeout(500);
      await page.keyboard.press("Control+C");
      const back = await waitForScreen(page, promptAfterSleep, 3_000).then(() => true, () => false);
      if (back) break;
    }
    // The shell is back long before 600 s, and no sleep is left running.
    await page.keyboard.type("echo sleepers=$(ps | grep -c '[s]leep 600')");
    await page.keyboard.press("Enter");
    const text = await waitForScreen(page, /^sleepers=\d+$/m, 20_000);
    expect(text).toMatch(/^sleepers=0$/m);
    // The tty echoes the interrupt as ^C at the start of the line after the command.
    expect(text).toMatch(/sleep 600\n\^C/);
  });

  it("runs the shell on the virtio console and shows the kernel log from the serial port apart", async () => {
    // Six virtio devices: the console, the rng, the page's disk, the network card, the
    // shared folder (virtio-9p, /mnt/host) and the balloon.
    await page.keyboard.type("ls -l /proc/$$/fd/0 | grep -o '/dev/hvc0'; echo devs-$(ls /sys/bus/virtio/devices | wc -l)");
    await page.keyboard.press("Enter");
    await waitForScreen(page, /^\/dev\/hvc0\n(.*\n)*devs-6$/m);
    const serial = await page.locator("#serial-log").textContent();
    expect(serial).toMatch(/Decompressing Linux/);
    expect(serial).not.toMatch(/ringside:~#/);
  });

  it("reports the devices' state and per-queue counters through the worker API", async () => {
    type Snap = { virtio: { name: string; active: boolean; queues: { ring?: { counters: { kicks: number; bytesRead: number; bytesWritten: number } } }[] } };
    const devices = await page.evaluate(() => (window as unknown as { ringsideDevices(): Promise<Snap[]> }).ringsideDevices());
    const byName = Object.fromEntries(devices.map((d) => [d.virtio.name, d.virtio]));
    expect(Object.keys(byName).sort()).toEqual(["virtio-9p", "virtio-balloon", "virtio-blk", "virtio-console", "virtio-net", "virtio-rng"]);
    expect(byName["virtio-console"]!.active).toBe(true);
    // The guest mounted the shared folder at boot (rc.boot), so its driver set the device up.
    expect(byName["virtio-9p"]!.active).toBe(true);
    expect(byName["virtio-balloon"]!.active).toBe(true);
    const tx = byName["virtio-console"]!.queues[1]!.ring!.counters;
    const rx = byName["virtio-console"]!.queues[0]!.ring!.counters;
    expect(tx.kicks).toBeGreaterThan(0);
    expect(tx.bytesRead).toBeGreaterThan(100); // the prompt and everything echoed so far
    expect(rx.bytesWritten).toBeGreaterThan(10); // what was typed
  });

  it("pastes text into the guest", async () => {
    await page.evaluate(() => {
      const target = document.querySelector("#terminal textarea");
      if (!target) throw new Error("no xterm textarea");
      const data = new DataTransfer();
      data.setData("text/plain", "echo pasted-$((40+2))\r");
      target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await waitForScreen(page, /^pasted-42$/m);
  });

  it("refits the terminal when the window changes size, and the guest's stty size follows", async () => {
    const before = Number(await page.locator("#terminal").getAttribute("data-cols"));
    await page.setViewportSize({ width: 700, height: 500 });
    await page.waitForFunction((cols) => Number(document.querySelector<HTMLElement>("#terminal")?.dataset.cols) < cols, before);
    const after = Number(await page.locator("#terminal").getAttribute("data-cols"));
    const rows = Number(await page.locator("#terminal").getAttribute("data-rows"));
    expect(after).toBeLessThan(before);
    await page.keyboard.type("clear; echo size=$(stty size)");
    await page.keyboard.press("Enter");
    await waitForScreen(page, new RegExp(`^size=${rows} ${after}$`, "m"));
    await page.setViewportSize({ width: 1100, height: 700 });
    await page.waitForFunction((cols) => Number(document.querySelector<HTMLElement>("#terminal")?.dataset.cols) === cols, before);
  });
});

describe("the page when something fails", () => {
  let site: BuiltSite;
  beforeAll(async () => {
    site = await openBuiltSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  async function openFailing(setup: (page: Page) => Promise<unknown>, query = ""): Promise<{ title: string; message: string; page: Page }> {
    const page = await site.context.newPage();
    await setup(page);
    await page.goto(site.url + query);
    await page.waitForFunction(() => document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
    const title = await page.locator("#error-panel .error-title").innerText();
    const message = await page.locator("#error-panel .error-message").innerText();
    return { title, message, page };
  }

  it("names a missing image", async () => {
    const { title, message, page } = await openFailing((p) => p.route("**/images/bzImage", (r) => r.fulfill({ status: 404, body: "gone" })));
    expect(title).toBe("The machine could not start");
    expect(message).toMatch(/images\/bzImage: HTTP 404/);
    expect(await page.locator("#boot-progress li.failed").count()).toBe(1);
    await page.screenshot({ path: `${artifacts}/error-missing-image.png` });
    await page.close();
  });

  it("says when v86's WebAssembly cannot be compiled", async () => {
    const { message, page } = await openFailing((p) =>
      p.route("**/*.wasm", (r) => r.fulfill({ status: 200, contentType: "application/wasm", body: Buffer.from("not wasm at all") })),
    );
    expect(message).toMatch(/cannot compile v86's WebAssembly/);
    await page.close();
  });

  it("says when the worker dies", async () => {
    const { title, message, page } = await openFailing((p) =>
      p.route("**/machine-worker-*.js", (r) => r.fulfill({ status: 200, contentType: "text/javascript", body: "throw new Error('worker exploded')" })),
    );
    expect(title).toBe("The machine stopped");
    expect(message).toMatch(/worker/);
    await page.close();
  });

  it("reports a bad URL option as text, not markup", async () => {
    const { message, page } = await openFailing(async () => {}, "?thread=%3Cimg%20src=x%20onerror=alert(1)%3E");
    expect(message).toMatch(/\?thread must be "worker" or "main", not "<img src=x onerror=alert\(1\)>"/);
    expect(await page.locator("#error-panel img").count()).toBe(0);
    await page.close();
  });
});
