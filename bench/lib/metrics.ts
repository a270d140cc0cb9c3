/** Prometheus text exposition → { 'name{labels}': value } (comments and malformed lines skipped). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isNaN(v)) out.set(m[1]!, v);
  }
  return out;
}

/** Sum of every series of one metric (all label sets), 0 when absent. */
export function metricSum(metrics: ReadonlyMap<string, number>, name: string): number {
  let sum = 0;
  for (const [k, v] of metrics) if (k === name || k.startsWith(`${name}{`)) sum += v;
  return sum;
}

/** Every metric whose name matches, summed per name (e.g. all `…unscored…` counters the scorer exposes). */
export function metricsMatching(metrics: ReadonlyMap<string, number>, pattern: RegExp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of metrics) {
    const name = k.replace(/\{.*$/, '');
    if (pattern.test(name)) out[name] = (out[name] ?? 0) + v;
  }
  return out;
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`SS_BENCH_METRICS: ${url} answered ${res.status}`);
  return parsePrometheus(await res.text());
}
