// The inspector explains itself, in Chromium, on the instant shell's machine (one page
// load): a field label reached with Tab shows its explanation and a link to its section of
// the virtio 1.2 specification, its heading's line in the spec's source and the HTML
// document (and Tab moves on into those links); hovering a counter does the same; every
// explained label on the page has an explanation with both links; the charts'
// axes carry units; every queue heading names its device; virtio-net's config space is
// decoded field by field (MAC, link status) with the raw hex one click away; and the page
// fetches nothing from the specification's site by itself. Screenshots with a tooltip open
// go to test-results/ (and /work/screens/ when it exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForShell } from "../support/page-shell.js";
import { describeViolations, seriousViolations } from "../support/axe.js";

const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;
const SPEC = "https://docs.oasis-open.org/virtio/virtio/v1.2/virtio-v1.2.html";
const SOURCE = /^https:\/\/github\.com\/oasis-tcs\/virtio-spec\/blob\/v1\.2-cs01\/[a-z][a-z0-9/-]*\.tex#L[1-9]\d*$/;

/** One screenshot (of `clip`), saved to test-results/ and to /work/screens/ when it exists. */
async function shot(page: Page, name: string, clip: { x: number; y: number; width: number; height: number }): Promise<void> {
  const png = await page.screenshot({ clip });
  await writeFile(`${artifacts}/${name}.png`, png);
  if (SCREENS !== artifacts) await writeFile(`${SCREENS}/${name}.png`, png);
}

/** What a label's tooltip says and whether it is open. */
async function tipOf(label: Locator): Promise<{ open: boolean; text: string; section: string; links: { href: string; target: string; rel: string; text: string }[] }> {
  return label.evaluate((node) => {
    const tip = document.getElementById(node.getAttribute("aria-describedby") ?? "");
    const links = [...(tip?.querySelectorAll<HTMLAnchorElement>("a.term-link") ?? [])];
    return {
      open: tip?.matches(":popover-open") ?? false, text: tip?.querySelector(".term-text")?.textContent ?? "",
      section: tip?.querySelector(".term-section")?.textContent ?? "",
      links: links.map((a) => ({ href: a.href, target: a.target, rel: a.rel, text: a.textContent ?? "" })),
    };
  });
}

describe("an inspector that explains itself", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];
  const specFetches: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => {
      if (r.url().includes("oasis-open.org")) specFetches.push(r.url());
    });
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${site.url}?start=snapshot&inspector=open`);
    await waitForShell(page);
    await page.locator('#inspector details.device[data-name="virtio-net"] .config-fields tr[data-field="mac"]').waitFor();
  });
  afterAll(async () => {
    await site?.close();
  });

  it("explains a field reached with Tab, links its spec section, and lets Tab reach the link", async () => {
    const rx = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]');
    await rx.scrollIntoViewIfNeeded();
    const usedRing = rx.locator('.queue-fields [data-term="split.used"]');
    const availIdx = rx.locator('.queue-fields [data-term="split.availIdx"]');
    await usedRing.focus();
    expect((await tipOf(usedRing)).open).toBe(true);
    // Tab: into the open explanation's two links, then on to the next label.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("term-link term-source");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("term-link term-html");
    expect((await tipOf(usedRing)).open).toBe(true);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.term)).toBe("split.availIdx");
    expect((await tipOf(usedRing)).open).toBe(false);
    const tip = await tipOf(availIdx);
    expect(tip.open).toBe(true);
    expect(tip.text).toMatch(/avail/i);
    expect(tip.section).toBe("virtio 1.2 §2.7.6 The Virtqueue Available Ring");
    // The section's heading in the spec's source at the tag the HTML was built from, then the whole HTML.
    expect(tip.links).toEqual([
      { href: "https://github.com/oasis-tcs/virtio-spec/blob/v1.2-cs01/split-ring.tex#L293", target: "_blank", rel: "noopener noreferrer", text: "§2.7.6 in the spec's source" },
      { href: SPEC, target: "_blank", rel: "noopener noreferrer", text: "virtio 1.2 (HTML)" },
    ]);
    const box = await page.locator(`#${await availIdx.getAttribute("aria-describedby")}`).boundingBox();
    expect(box!.width * box!.height).toBeGreaterThan(2000);
    await shot(page, "explained-focus", { x: Math.max(0, box!.x - 60), y: Math.max(0, box!.y - 120), width: 760, height: 300 });
    await page.keyboard.press("Escape");
    expect((await tipOf(availIdx)).open).toBe(false);

    // Hover works as well, and leaving closes it.
    const kicks = rx.locator('.queue-counters [data-term="counter.kicks"]');
    await kicks.hover();
    expect((await tipOf(kicks)).open).toBe(true);
    expect((await tipOf(kicks)).section).toBe("virtio 1.2 §2.7.13.4 Notifying The Device");
    expect((await tipOf(kicks)).links[0]?.href).toBe("https://github.com/oasis-tcs/virtio-spec/blob/v1.2-cs01/split-ring.tex#L688");
    const at = (await kicks.boundingBox())!;
    await shot(page, "explained-hover", { x: Math.max(0, at.x - 40), y: Math.max(0, at.y - 200), width: 820, height: 380 });
    // The pointer can cross over to the link (the tip stays), and leaving both closes it.
    const link = page.locator(`#${await kicks.getAttribute("aria-describedby")} a.term-source`);
    await link.hover();
    await page.waitForTimeout(400);
    expect((await tipOf(kicks)).open).toBe(true);
    await page.mouse.move(5, 5);
    await expect.poll(async () => (await tipOf(kicks)).open).toBe(false);
  });

  it("gives every explained label on the page an explanation with a link, and names every queue's device", async () => {
    const labels = await page.locator("#inspector [data-term]").evaluateAll((nodes) =>
      nodes.map((n) => {
        const tip = document.getElementById(n.getAttribute("aria-describedby") ?? "");
        const link = tip?.querySelector<HTMLAnchorElement>("a.term-html");
        const source = tip?.querySelector<HTMLAnchorElement>("a.term-source");
        return {
          term: (n as HTMLElement).dataset.term ?? "", missing: (n as HTMLElement).dataset.termMissing !== undefined, focusable: (n as HTMLElement).tabIndex === 0,
          text: tip?.querySelector(".term-text")?.textContent ?? "", href: link?.getAttribute("href") ?? "", target: link?.target ?? "",
          source: source?.getAttribute("href") ?? "", sourceTarget: source?.target ?? "",
        };
      }),
    );
    expect(labels.length).toBeGreaterThan(150);
    for (const l of labels) {
      expect(l, l.term).toMatchObject({ missing: false, focusable: true, href: SPEC, target: "_blank", sourceTarget: "_blank" });
      expect(l.source, l.term).toMatch(SOURCE);
      expect(l.text.length, l.term).toBeGreaterThan(15);
    }
    // Nothing an accessibility checker calls serious in a device's explained parts (its
    // header, a queue card's labels, legend, counters and chart caption): the smallest
    // device, as axe takes seconds over the whole panel.
    const problems = await seriousViolations(page, '#inspector details.device[data-name="virtio-rng"]');
    expect(problems, describeViolations(problems)).toEqual([]);
    const terms = new Set(labels.map((l) => l.term));
    for (const t of ["status:DRIVER_OK", "feature:VERSION_1", "feature:NET_F_MAC", "pci.bars", "slot.held", "counter.interruptsMerged", "config:virtio-net.mac", "chart.rates"]) {
      expect(terms, t).toContain(t);
    }
    const headings = await page.locator("#inspector details.device").evaluateAll((devices) =>
      devices.flatMap((d) => [...d.querySelectorAll(".queue h4")].map((h) => ({ address: (d as HTMLElement).dataset.address ?? "", heading: h.textContent ?? "" }))),
    );
    expect(headings.length).toBeGreaterThanOrEqual(5);
    for (const h of headings) expect(h.heading).toMatch(new RegExp(`^\\S+ ${h.address.replace(/\./g, "\\.")} · queue \\d+ \\S+$`));
    expect(headings.map((h) => h.heading)).toContainEqual(expect.stringMatching(/^virtio-net \S+ · queue 0 receiveq1$/));
  });

  it("titles the charts' axes with units", async () => {
    const rxChart = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"] .rate-chart');
    await rxChart.scrollIntoViewIfNeeded();
    await expect.poll(() => rxChart.getAttribute("data-right-unit")).toMatch(/^(B|KiB|MiB)\/s$/);
    expect(await rxChart.getAttribute("data-left-unit")).toBe("kicks · irqs /s");
    expect(await rxChart.locator(".rate-caption").innerText()).toMatch(/left axis kicks and interrupts per second, right axis bytes per second/);
    const activity = (await page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"] .queue-activity').boundingBox())!;
    await shot(page, "explained-chart", activity);
  });

  it("decodes virtio-net's config space field by field, with the raw hex one click away", async () => {
    const net = page.locator('#inspector details.device[data-name="virtio-net"]');
    const value = (field: string) => net.locator(`.config-fields tr[data-field="${field}"] .config-value`).innerText();
    const mac = await value("mac");
    expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(await value("status")).toBe("0x1");
    expect(await net.locator('.config-fields tr[data-field="status"] .config-about').innerText()).toMatch(/link up/);
    const raw = net.locator(".config-raw pre");
    expect(await raw.isVisible()).toBe(false);
    await net.locator(".config-raw summary").click();
    expect(await raw.innerText()).toContain(`0000  ${mac.replace(/:/g, " ")} 01 00`);
    const macLabel = net.locator('[data-term="config:virtio-net.mac"]');
    await macLabel.focus();
    const tip = await tipOf(macLabel);
    expect(tip.text).toMatch(/^mac: The card's Ethernet address/);
    expect(tip.section).toBe("virtio 1.2 §5.1.4 Device configuration layout");
    await net.locator(".config-fields").scrollIntoViewIfNeeded();
    const box = await net.locator(".device-status").boundingBox();
    await shot(page, "explained-config", { x: Math.max(0, box!.x - 10), y: Math.max(0, box!.y - 10), width: 760, height: 520 });
    expect(specFetches).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
