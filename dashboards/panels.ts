import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { InfluxQLBuilder } from './influxql.ts';

/** The provisioned InfluxDB data source every panel reads (dashboards/provisioning/datasources). */
export const DATASOURCE: DataSourceRef = { type: 'influxdb', uid: 'safestar-influx' };

// Shared factories: one shape per panel type, so every dashboard looks and behaves alike.

export function timeseriesPanel(title: string, query: string, unit = 'short'): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .withTarget(new InfluxQLBuilder(query).refId('A'));
}

export function statPanel(title: string, query: string, unit = 'short'): stat.PanelBuilder {
  return new stat.PanelBuilder().title(title).datasource(DATASOURCE).unit(unit).withTarget(new InfluxQLBuilder(query).refId('A'));
}

export function tablePanel(title: string, query: string): table.PanelBuilder {
  return new table.PanelBuilder().title(title).datasource(DATASOURCE).withTarget(new InfluxQLBuilder(query, 'table').refId('A'));
}

export function barPanel(title: string, query: string): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder().title(title).datasource(DATASOURCE).withTarget(new InfluxQLBuilder(query).refId('A'));
}
