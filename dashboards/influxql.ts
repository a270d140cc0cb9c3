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
 * against a real InfluxDB: $timeFilter → a time range, $__interval → a GROUP BY interval,
 * template variables → a regex matching everything.
 */
export function expandMacros(query: string, range = '1h', interval = '1m'): string {
  return query
    .replaceAll('$timeFilter', `time > now() - ${range}`)
    .replaceAll('$__interval', interval)
    .replace(/\/\^\$\w+\$\//g, '/.*/');
}
