import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

/**
 * An InfluxQL target for Grafana's InfluxDB (1.x) data source. The foundation SDK ships no
 * InfluxDB query type, so this is its documented extension point (a Dataquery variant).
 */
export interface InfluxQLQuery {
  refId?: string;
  hide?: boolean;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQLBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string, resultFormat: InfluxQLQuery['resultFormat'] = 'time_series') {
    this.internal = { query, rawQuery: true, resultFormat, _implementsDataqueryVariant() {} };
  }

  refId(id: string): this {
    this.internal.refId = id;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  build(): InfluxQLQuery {
    return this.internal;
  }
}

/**
 * Grafana's macros as Grafana expands them for InfluxQL, so tests can run every panel's query
 * against a real InfluxDB: $timeFilter → an absolute range ending at the viewer's `now` (Grafana
 * sends `time >= …ms and time <= …ms` from the browser's clock, never InfluxDB's `now()`, so a
 * test's clock and influxd's may differ), $__interval → a GROUP BY interval, template variables →
 * a regex matching everything.
 */
export function expandMacros(query: string, now: number, rangeMs = 3_600_000, interval = '1m'): string {
  const from = Math.floor(now - rangeMs);
  return query
    .replaceAll('$timeFilter', `time >= ${from}ms and time <= ${Math.ceil(now)}ms`)
    .replaceAll('$__interval', interval)
    .replace(/\/\^\$\w+\$\//g, '/.*/');
}
