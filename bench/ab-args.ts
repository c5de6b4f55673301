// The command line of the benches that compare builds or checkouts taking turns
// (page-start-ab.ts, restore-ab.ts): `[--runs N] [flags] PATH PATH...`.

export interface AbArgs {
  runs: number;
  /** The flags given, of those the bench takes. */
  flags: Set<string>;
  paths: string[];
}

/** Reads `argv`; anything not `--runs N` or one of `flags` is a path. Throws `usage` with fewer than two paths. */
export function parseAbArgs(argv: readonly string[], defaultRuns: number, flags: readonly string[], usage: string): AbArgs {
  let runs = defaultRuns;
  const given = new Set<string>();
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.includes(arg)) given.add(arg);
    else if (arg === "--runs") {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a positive whole number, not ${argv[i]}`);
    } else paths.push(arg);
  }
  if (paths.length < 2) throw new Error(`usage: ${usage}`);
  return { runs, flags: given, paths };
}
