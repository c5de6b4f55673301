// The built site's own response headers (public/_headers, copied into dist/), read the way
// Netlify and Cloudflare Pages read a _headers file: a line with a path (`*` matches the
// rest of a path) starts a rule, and the indented `Name: value` lines under it are the
// headers sent with every file the path matches; `#` starts a comment. The test server
// answers with them, so the tests and benches see the site as those hosts serve it.

export interface HeaderRule {
  /** The path pattern, from the site's root ("/assets/*"). */
  path: string;
  headers: Record<string, string>;
}

/** The rules of a _headers file; a line that fits neither form throws, naming its number. */
export function parseSiteHeaders(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || line.trim().startsWith("#")) return;
    if (!/^\s/.test(line)) {
      if (!line.startsWith("/")) throw new Error(`_headers line ${i + 1}: a path must start with "/" (${JSON.stringify(line)})`);
      rules.push({ path: line.trim(), headers: {} });
      return;
    }
    const header = /^\s+([A-Za-z0-9-]+):\s*(.*\S)\s*$/.exec(line);
    const rule = rules.at(-1);
    if (!header || !rule) throw new Error(`_headers line ${i + 1}: expected an indented "Name: value" under a path (${JSON.stringify(line)})`);
    rule.headers[header[1]!] = header[2]!;
  });
  return rules;
}

function matches(pattern: string, path: string): boolean {
  const star = pattern.indexOf("*");
  return star < 0 ? pattern === path : path.startsWith(pattern.slice(0, star));
}

/** The headers every rule matching `path` (from the site's root) adds; later rules win. */
export function headersFor(rules: readonly HeaderRule[], path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rule of rules) if (matches(rule.path, path)) Object.assign(out, rule.headers);
  return out;
}
