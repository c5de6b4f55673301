// axe-core in a Playwright page: injects axe.min.js (from node_modules, so the site itself
// never ships it) and runs it on the page as it is, returning the violations a reader would
// be stopped by (impact serious or critical), each in one line a failing test can print.
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");

export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending nodes (at most five), with axe's summary of the first. */
  nodes: string[];
  summary: string;
}

/** The part of axe's result this helper reads (axe-core's own types live in the page). */
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe on the whole document (or `include`, a selector) and returns the serious and critical violations. */
export async function seriousViolations(page: Page, include?: string): Promise<AxeProblem[]> {
  const loaded = await page.evaluate(() => "axe" in window);
  if (!loaded) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (context: string | null): Promise<AxeViolation[]> => {
    const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(context ?? document, { resultTypes: ["violations"] });
    return result.violations;
  }, include ?? null);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? "",
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(" ")),
      summary: (v.nodes[0]?.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 300),
    }));
}

/** One line per problem, for an assertion's message. */
export function describeViolations(problems: AxeProblem[]): string {
  return problems.map((p) => `${p.impact} ${p.id}: ${p.help} at ${p.nodes.join(", ")} (${p.summary})`).join("\n");
}
