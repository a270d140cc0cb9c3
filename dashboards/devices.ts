import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { timeseriesPanel } from './panels.ts';
import { Q } from './queries.ts';
import { districtVariable } from './variables.ts';

/** For police stations monitoring devices: traffic, heartbeats, offline devices, replays, anomalies. */
export function devicesDashboard(): DashboardBuilder {
  return new DashboardBuilder('Safestar — devices and pipeline')
    .uid('safestar-devices')
    .tags(['safestar', 'generated'])
    .refresh('10s')
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(districtVariable())
    .withRow(new RowBuilder('Traffic'))
    .withPanel(timeseriesPanel('Events by device kind', Q.eventsByKind).span(12))
    .withPanel(timeseriesPanel('Heartbeats by device kind', Q.heartbeatsByKind).span(12))
    .withRow(new RowBuilder('Health'))
    .withPanel(timeseriesPanel('Devices gone offline (edge-detected)', Q.deviceOffline).span(12))
    .withPanel(timeseriesPanel('Replayed after an outage (backfilled)', Q.backfilled).span(12))
    .withRow(new RowBuilder('Anomalies'))
    .withPanel(timeseriesPanel('Events the edge model flagged', Q.anomalies).span(12))
    .withPanel(timeseriesPanel('Highest anomaly score', Q.anomalyScore).span(12));
}
