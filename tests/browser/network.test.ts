// The network in Chromium: the guest reaches the in-worker host network by default, two
// tabs with ?net=switch reach each other through the BroadcastChannel switch, and with
// ?net=relay the guest reaches a network behind a WebSocket relay in v86's format.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { startRelay } from "../support/ws-relay.js";

const LONG = 180_000;

async function openShell(site: BuiltSite, query: string, logs: string[] = []): Promise<Page> {
  const page = await site.context.newPage();
  page.on("console", (m) => void logs.push(m.text()));
  await page.goto(`${site.url}${query}`);
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "failed", null, { timeout: BOOT_TIMEOUT });
  expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
  await waitForScreen(page, /ringside:~# /);
  await page.locator("#terminal").click();
  return page;
}

async function guestAddress(page: Page): Promise<string> {
  await typeLine(page, "echo addr-$(ip -4 addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2)");
  const text = await waitForScreen(page, /^addr-10\.0\.2\.\d+$/m);
  return /^addr-(10\.0\.2\.\d+)$/m.exec(text)![1]!;
}

describe("the network in the browser", () => {
  let site: BuiltSite;
  beforeAll(async () => {
    site = await openBuiltSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it("fetches a 4 MiB blob from the host network with a matching sha256", async () => {
    const page = await openShell(site, "?disk=none");
    expect(await guestAddress(page)).toBe("10.0.2.15");
    // Compared in the guest: two 64-digit hashes on one line would wrap in the terminal.
    await typeLine(
      page,
      "clear; got=$(wget -q -O - 'http://10.0.2.2/blob?bytes=4194304&seed=5' | sha256sum | cut -c1-64); " +
        "want=$(wget -q -O - 'http://10.0.2.2/blob-sha256?bytes=4194304&seed=5'); " +
        "[ ${#got} = 64 ] && [ \"$got\" = \"$want\" ] && echo sha-match-${got:0:12} || echo sha-differs",
    );
    const text = await waitForScreen(page, /^sha-(match-[0-9a-f]{12}|differs)$/m, LONG);
    expect(text).toMatch(/^sha-match-[0-9a-f]{12}$/m);
    const net = await page.evaluate(() => (window as unknown as { ringsideDevices(): Promise<Array<{ virtio: { name: string; active: boolean } }>> }).ringsideDevices());
    expect(net.find((d) => d.virtio.name === "virtio-net")?.virtio.active).toBe(true);
    await page.close();
  }, LONG);

  it("lets two tabs on ?net=switch ping each other and talk TCP", async () => {
    const a = await openShell(site, "?disk=none&net=switch");
    const logsB: string[] = [];
    const b = await openShell(site, "?disk=none&net=switch", logsB);
    const addressA = await guestAddress(a);
    const addressB = await guestAddress(b);
    expect(addressA).not.toBe(addressB);
    // b asked who was on the switch before it took its address, and a answered.
    expect(logsB.join("\n")).toContain(`this guest is ${addressB} `);
    expect(logsB.join("\n")).toMatch(new RegExp(`other guests on it: ([0-9.]+, )*${addressA.replace(/\./g, "\\.")}(,|$)`, "m"));
    await typeLine(a, `ping -c 3 -W 3 ${addressB} | grep -o '[0-9]* packets received'`);
    await waitForScreen(a, /^3 packets received$/m, LONG);
    // TCP across the tabs: B listens, A sends a line.
    await typeLine(b, "clear; nc -l -p 5000 > /tmp/got; echo from-a-$(cat /tmp/got)");
    await typeLine(a, `sleep 1; echo hello-over-the-channel | nc -w 2 ${addressB} 5000`);
    await waitForScreen(b, /^from-a-hello-over-the-channel$/m, LONG);
    // Each still reaches its own host network.
    await typeLine(b, "echo page-$(wget -q -O - http://10.0.2.2/ | grep -c 'ringside host')");
    await waitForScreen(b, /^page-[1-9]\d*$/m, LONG);
    await a.screenshot({ path: `${artifacts}/network-switch-a.png` });
    await b.screenshot({ path: `${artifacts}/network-switch-b.png` });
    await a.close();
    await b.close();
  }, 2 * LONG);

  it("reaches the network behind a WebSocket relay: DHCP, DNS and HTTP over plain frames", async () => {
    const relay = await startRelay();
    try {
      const page = await openShell(site, `?disk=none&net=relay&relay=${encodeURIComponent(relay.url)}`);
      // No ip= on this network: the guest asked the relay's side for a lease in the background.
      await typeLine(page, "for i in 1 2 3 4 5 6 7 8 9 10; do ip -4 addr show eth0 | grep -q inet && break; sleep 1; done; echo addr-$(ip -4 addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2)");
      await waitForScreen(page, /^addr-10\.0\.2\.15$/m, LONG);
      await typeLine(page, "clear; wget -q -O - 'http://ringside.host/blob?bytes=1048576&seed=2' | sha256sum | cut -c1-12; wget -q -O - 'http://ringside.host/blob-sha256?bytes=1048576&seed=2' | cut -c1-12");
      const text = await waitForScreen(page, /^([0-9a-f]{12})\n\1$/m, LONG);
      expect(text).toMatch(/^([0-9a-f]{12})\n\1$/m);
      expect(relay.host.stats().dhcpAcks).toBeGreaterThan(0);
      await page.close();
    } finally {
      await relay.close();
    }
  }, LONG);
});
