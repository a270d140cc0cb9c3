import { ALARM_SEVERITIES, exactRegex, LIFE_SAFETY, MEASUREMENTS } from '../protocol/names.ts';

/**
 * Every query the dashboards run, in one place (InfluxQL against the hub's database). Measurements
 * and names follow what the hub writes: `events` and `device_health` (tags district, compound,
 * edge, device, kind, type, severity; field `id`), and `safety_index` (index engine history).
 * `$district` is a dashboard variable (a regex over district ids).
 */
const D = `"district" =~ /^$district$/`;
const ALARMS = `"severity" =~ ${exactRegex(ALARM_SEVERITIES)}`;
/** Every life-safety type (it listed 4 of the 6: short-circuit and fence-alarm never showed). */
const LIFE = `"type" =~ ${exactRegex(LIFE_SAFETY)}`;
const EV = `"${MEASUREMENTS.events}"`;
const IDX = `"${MEASUREMENTS.safetyIndex}"`;
const PROB = `"${MEASUREMENTS.problems}"`;

export const Q = {
  eventsByKind: `SELECT count("id") FROM ${EV} WHERE ${D} AND $timeFilter GROUP BY time($__interval), "kind" fill(0)`,
  alarmsByDistrict: `SELECT count("id") FROM ${EV} WHERE ${ALARMS} AND ${D} AND $timeFilter GROUP BY time($__interval), "district" fill(0)`,
  alarmTypes: `SELECT count("id") FROM ${EV} WHERE ${ALARMS} AND ${D} AND $timeFilter GROUP BY "type"`,
  compoundsWithAlarms: `SELECT count("id") AS "alarms" FROM ${EV} WHERE ${ALARMS} AND ${D} AND $timeFilter GROUP BY "compound"`,
  lifeSafety: `SELECT "id", "compound", "device", "type", "severity" FROM ${EV} WHERE ${LIFE} AND ${D} AND $timeFilter ORDER BY time DESC LIMIT 50`,
  anomalies: `SELECT count("id") FROM ${EV} WHERE "anomalous" = true AND ${D} AND $timeFilter GROUP BY time($__interval), "kind" fill(0)`,
  backfilled: `SELECT count("id") FROM ${EV} WHERE "backfilled" = true AND ${D} AND $timeFilter GROUP BY time($__interval), "edge" fill(0)`,
  deviceOffline: `SELECT count("id") FROM "device_health" WHERE "type" = 'offline' AND ${D} AND $timeFilter GROUP BY time($__interval), "compound" fill(0)`,
  heartbeatsByKind: `SELECT count("id") FROM ${EV} WHERE "type" = 'heartbeat' AND ${D} AND $timeFilter GROUP BY time($__interval), "kind" fill(0)`,
  anomalyScore: `SELECT max("score") FROM ${EV} WHERE ${D} AND $timeFilter GROUP BY time($__interval), "kind" fill(none)`,
  indexByCompound: `SELECT last("index") AS "index", last("stars") AS "stars" FROM ${IDX} WHERE ${D} AND $timeFilter GROUP BY "compound"`,
  indexOverTime: `SELECT mean("index") FROM ${IDX} WHERE ${D} AND $timeFilter GROUP BY time($__interval), "district" fill(previous)`,
  fiveStar: `SELECT count("stars") FROM (SELECT last("stars") AS "stars" FROM ${IDX} WHERE ${D} AND $timeFilter GROUP BY "compound") WHERE "stars" = 5`,
  zeroAlerts: `SELECT count("zeroAlerts") FROM (SELECT last("zeroAlertsYear") AS "zeroAlerts" FROM ${IDX} WHERE ${D} AND $timeFilter GROUP BY "compound") WHERE "zeroAlerts" = true`,
  /**
   * 共性问题 as /api/insights counts them (hub/cases/problem-points.ts): each case or alarm is one
   * point, `active` 1 while counted; the sum over a local month is that month's count in
   * /api/insights (test/dashboards/insights.test.ts checks it through the hub).
   */
  problems: `SELECT sum("active") AS "count" FROM ${PROB} WHERE ${D} AND $timeFilter GROUP BY "district", "source", "kind"`,
  districts: `SHOW TAG VALUES FROM ${EV} WITH KEY = "district"`,
} as const;
