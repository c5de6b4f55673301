// Where each section the inspector's glossary names is headed in the virtio
// specification's LaTeX source, so a tooltip can link the exact lines (GitHub's line
// anchors) rather than the whole published HTML, whose generated anchors ("x1-430007")
// say nothing and move between stages.
//
//   npx tsx scripts/spec-sections.ts <clone of oasis-tcs/virtio-spec>           prints the table
//   npx tsx scripts/spec-sections.ts <clone of oasis-tcs/virtio-spec> --write   also rewrites src/page/glossary-spec-source.ts
//
// The files are read at the tag (git show v1.2-cs01:<file>), whatever the clone has
// checked out; a bare clone does as well. The walk follows \input from main.tex in
// document order and numbers headings as LaTeX does (report class, secnumdepth 5:
// chapter to subparagraph; starred headings are not numbered). It fails when a section
// is missing or its title differs from the glossary's.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { glossarySections } from "../src/page/glossary.js";
import { SPEC_SOURCE_TAG } from "../src/page/glossary-spec-source.js";

/** A numbered heading of the specification and where its command stands. */
export interface SourceHeading {
  readonly number: string;
  readonly title: string;
  readonly file: string;
  readonly line: number;
}

const LEVELS = ["chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph"] as const;
/**
 * A heading command, an \input or \appendix, wherever it stands on a line. The spec's
 * requirement headings pass the command as an argument ("\drivernormative{\subsection}{X}{label}",
 * commands.tex), printed as "Driver Requirements: X"; they are numbered like any other.
 */
const COMMAND = /\\(?:(drivernormative|devicenormative)\s*\{\s*\\)?(chapter|section|subsection|subsubsection|paragraph|subparagraph|input|appendix)\b(\*?)(?:\s*\})?/g;
const NORMATIVE: Readonly<Record<string, string>> = { drivernormative: "Driver Requirements: ", devicenormative: "Device Requirements: " };
/** Environments whose text LaTeX prints as it is: a "\section" inside is an example, not a heading. */
const VERBATIM = /\\begin\{(lstlisting|verbatim)\}/;

/** The line without its comment (an unescaped %). */
function uncommented(line: string): string {
  const at = line.search(/(?<!\\)%/);
  return at < 0 ? line : line.slice(0, at);
}

/** The text of the {...} group opening at or after `from` in `text` (nested braces kept), and where it ends. */
function group(text: string, from: number): { inner: string; end: number } | undefined {
  let at = from;
  while (at < text.length && /\s/.test(text[at]!)) at++;
  if (text[at] === "[") at = text.indexOf("]", at) + 1; // the short title of a heading
  while (at < text.length && /\s/.test(text[at]!)) at++;
  if (text[at] !== "{") return undefined;
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return { inner: text.slice(at + 1, i), end: i + 1 };
  }
  return undefined;
}

/** A heading's LaTeX title as the document prints it: "\field{used} Ring" is "used Ring". */
export function plainTitle(latex: string): string {
  let text = latex;
  for (let before = ""; before !== text; ) {
    before = text;
    text = text.replace(/\\[a-zA-Z]+\*?\{([^{}]*)\}/g, "$1");
  }
  return text.replace(/\\([_&#%$])/g, "$1").replace(/~/g, " ").replace(/\\[a-zA-Z]+\s*/g, "").replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
}

/**
 * Every numbered heading reached from `root`, in document order. `read` gives a file's
 * text by its path in the repository (\input names may leave out ".tex").
 */
export function walkHeadings(read: (file: string) => string, root = "main.tex"): SourceHeading[] {
  const counters = LEVELS.map(() => 0);
  let appendix = false;
  const found: SourceHeading[] = [];
  const visit = (file: string, depth: number): void => {
    if (depth > 20) throw new Error(`\\input nested too deeply at ${file}`);
    const lines = read(file).split("\n");
    let verbatim: string | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = uncommented(lines[i]!);
      if (verbatim) {
        if (line.includes(`\\end{${verbatim}}`)) verbatim = undefined;
        continue;
      }
      const opens = VERBATIM.exec(line);
      if (opens) {
        verbatim = opens[1];
        continue;
      }
      for (const m of line.matchAll(COMMAND)) {
        const [, normative, name = "", star] = m;
        if (name === "appendix") {
          appendix = true;
          counters.fill(0);
          continue;
        }
        // A title may run on over the next lines.
        const rest = [line.slice(m.index + m[0].length), ...lines.slice(i + 1, i + 5).map(uncommented)].join("\n");
        const arg = group(rest, 0);
        if (!arg) continue;
        if (name === "input") {
          const inner = arg.inner.trim();
          visit(inner.endsWith(".tex") ? inner : `${inner}.tex`, depth + 1);
          continue;
        }
        if (star) continue;
        const prefix = normative ? NORMATIVE[normative] : "";
        const level = LEVELS.indexOf(name as (typeof LEVELS)[number]);
        counters[level]!++;
        counters.fill(0, level + 1);
        const parts = counters.slice(0, level + 1).map(String);
        if (appendix) parts[0] = String.fromCharCode(64 + counters[0]!);
        found.push({ number: parts.join("."), title: prefix + plainTitle(arg.inner), file, line: i + 1 });
      }
    }
  };
  visit(root, 0);
  return found;
}

/** The generated module: the table of section number to file, line and title. */
function tableModule(rows: readonly SourceHeading[]): string {
  const body = rows.map((r) => `  "${r.number}": { file: "${r.file}", line: ${r.line}, title: ${JSON.stringify(r.title)} },`).join("\n");
  return `// Generated by scripts/spec-sections.ts from oasis-tcs/virtio-spec at the tag below; regenerate
// rather than edit: npx tsx scripts/spec-sections.ts <clone of virtio-spec> --write
// Where each section the glossary names is headed in the specification's LaTeX source
// (file and line of its \\section-like command) and its title as the document prints it.

export const SPEC_SOURCE_TAG = "${SPEC_SOURCE_TAG}";

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly title: string;
}

export const SPEC_SOURCE: Readonly<Record<string, SourceLocation>> = {
${body}
};
`;
}

function main(args: readonly string[]): number {
  const [clone, flag] = args;
  if (!clone) {
    console.error("usage: npx tsx scripts/spec-sections.ts <clone of oasis-tcs/virtio-spec> [--write]");
    return 2;
  }
  const read = (file: string): string => execFileSync("git", ["-C", clone, "show", `${SPEC_SOURCE_TAG}:${file}`], { encoding: "utf8", maxBuffer: 64 << 20 });
  const byNumber = new Map(walkHeadings(read).map((h) => [h.number, h]));
  const rows: SourceHeading[] = [];
  let problems = 0;
  for (const s of glossarySections()) {
    const h = byNumber.get(s.number);
    if (!h) {
      console.error(`§${s.number} ${s.title}: no such numbered heading at ${SPEC_SOURCE_TAG}`);
      problems++;
      continue;
    }
    const same = h.title === s.title;
    if (!same) problems++;
    console.log(`${same ? "ok" : "TITLE DIFFERS"}\t§${s.number}\t${h.file}:${h.line}\t${h.title}${same ? "" : `\t(glossary: ${s.title})`}`);
    rows.push(h);
  }
  console.log(`${rows.length} of ${glossarySections().length} sections located, ${problems} problem(s)`);
  if (flag === "--write") {
    const out = fileURLToPath(new URL("../src/page/glossary-spec-source.ts", import.meta.url));
    writeFileSync(out, tableModule(rows));
    console.log(`wrote ${out}`);
  }
  return problems === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
