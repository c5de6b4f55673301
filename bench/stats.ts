// Summaries of repeated measurements: these machines are noisy, so every figure is
// reported as min / median / max over the runs.
export interface Summary {
  min: number;
  median: number;
  max: number;
  runs: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, runs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, runs: values.length };
}

export function formatMs(s: Summary): string {
  const f = (n: number) => (Number.isFinite(n) ? `${Math.round(n)}` : "-");
  return `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
}
