// The command line of the benches that compare builds or checkouts taking turns
// (page-start-ab.ts, restore-ab.ts, download-ab.ts): `[--runs N] [--name N] [flags] PATH PATH...`.

export interface AbArgs {
  runs: number;
  /** The whole-number options the bench takes (`--warm N`, ...), given or their defaults. */
  counts: Record<string, number>;
  /** The flags given, of those the bench takes. */
  flags: Set<string>;
  paths: string[];
}

/**
 * Reads `argv`; anything not `--runs N` (at least 1), one of `counts` (`--name N`, at least
 * 0, defaults as given) or one of `flags` is a path. Throws `usage` with fewer than two paths.
 */
export function parseAbArgs(argv: readonly string[], defaultRuns: number, flags: readonly string[], usage: string, counts: Record<string, number> = {}): AbArgs {
  const values: Record<string, number> = { runs: defaultRuns, ...counts };
  const given = new Set<string>();
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (flags.includes(arg)) given.add(arg);
    else if (name in values) {
      const value = Number(argv[++i]);
      const least = name === "runs" ? 1 : 0;
      if (!Number.isInteger(value) || value < least) throw new Error(`${arg} wants a whole number of at least ${least}, not ${argv[i]}`);
      values[name] = value;
    } else paths.push(arg);
  }
  if (paths.length < 2) throw new Error(`usage: ${usage}`);
  const { runs, ...rest } = values;
  return { runs: runs!, counts: rest, flags: given, paths };
}
