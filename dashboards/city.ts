import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { barPanel, statPanel, tablePanel, timeseriesPanel } from './panels.ts';
import { Q } from './queries.ts';
import { districtVariable } from './variables.ts';

/** The problems panel's range: six months, /api/insights' window (hub/cases/insights.ts). */
export const PROBLEMS_RANGE = '184d';

/** For viewers tracking stars and zero-incident compounds across the city (一图 in Grafana). */
export function cityDashboard(): DashboardBuilder {
  return new DashboardBuilder('Safestar — city safety')
    .uid('safestar-city')
    .tags(['safestar', 'generated'])
    .refresh('30s')
    .time({ from: 'now-24h', to: 'now' })
    .withVariable(districtVariable())
    .withRow(new RowBuilder('Stars'))
    .withPanel(statPanel('Five-star compounds', Q.fiveStar).span(6))
    .withPanel(statPanel('Zero-alert compounds this year', Q.zeroAlerts).span(6))
    .withPanel(timeseriesPanel('Mean safety index by district', Q.indexOverTime).span(12))
    .withPanel(tablePanel('Compounds: index and stars', Q.indexByCompound).span(24))
    .withRow(new RowBuilder('Alarms'))
    .withPanel(timeseriesPanel('Major and critical alarms by district', Q.alarmsByDistrict).span(12))
    .withPanel(barPanel('Alarm types', Q.alarmTypes).span(12))
    .withPanel(tablePanel('Compounds with alarms', Q.compoundsWithAlarms).span(12))
    .withPanel(tablePanel('Latest life-safety events', Q.lifeSafety).span(12))
    .withRow(new RowBuilder('Common problems (共性问题)'))
    // Its own range: problems are counted over months (/api/insights looks back six local months).
    .withPanel(tablePanel('Cases and alarms per district and kind (共性问题, as /api/insights)', Q.problems).timeFrom(PROBLEMS_RANGE).span(24));
}
