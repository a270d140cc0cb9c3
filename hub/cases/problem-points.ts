import type { Db } from '../../common/sqlite.ts';
import { migrateSqlite } from '../store/sqliteMigrate.ts';
import { MEASUREMENTS } from '../../protocol/names.ts';
import { localDate, localMidnight } from '../policy/time.ts';

/** Where the points go: the index history writer (hub/index/history.ts) in the hub, which batches them into InfluxDB. */
export interface LineSink {
  recordLines(lines: readonly string[]): void;
}

/**
 * The `problems` measurement: what /api/insights counts (hub/cases/insights.ts), in InfluxDB, so
 * one Grafana panel (dashboards/queries.ts Q.problems) sums the same counts per district, source
 * and kind. Each case or device alarm is ONE point whose field `active` is 1 while /api/insights
 * counts it (a case in a counting status, an alarm not dismissed) and 0 otherwise; every new case
 * version or alarm decision rewrites that point (InfluxDB keeps the last write of a series and
 * time), and a version that moves the case (district, category, day) zeroes its old point. A
 * +1/−1 delta scheme would not work: a withdraw at the same series and time replaces the post.
 *
 * The time of the point is the local day of occurrence plus a per-item slot (ms): two cases of one
 * category on one day in one district must be two points, and the case id must not be a tag
 * (unbounded series, and ids are not for the dashboards). The day keeps the month /api/insights
 * uses and publishes no exact time. Points go through the index history's durable queue, drained
 * by the hub's one InfluxDB writer (hub/store/influxWriter.ts), in the transaction of the change.
 */
export interface ProblemItem {
  source: 'case' | 'alarm';
  /** Case or alarm id: only picks the slot, never written. */
  id: string;
  district: string;
  kind: string;
  at: number;
  active: boolean;
}

const DAY_MS = 86_400_000;
const esc = (v: string): string => v.replace(/[,= \\]/g, '\\$&');

export class ProblemPoints {
  private readonly slotOf: (key: string) => number;

  constructor(
    db: Db,
    private readonly history: LineSink,
    private readonly tzMinutes: () => number,
  ) {
    migrateSqlite(db); // index_problem_slots: hub/store/migrations/sqlite.ts step 4
    const put = db.prepare('INSERT OR IGNORE INTO index_problem_slots (key) VALUES (?)');
    const get = db.prepare<[string], { seq: number }>('SELECT seq FROM index_problem_slots WHERE key = ?');
    // A stable, distinct number per item: its rewrites hit the same point, two items never share one
    // unless 86.4 million items later on the same day, district and kind.
    this.slotOf = (key) => {
      put.run(key);
      return (get.get(key)?.seq ?? 0) % DAY_MS;
    };
  }

  private where(p: ProblemItem): { series: string; t: number } {
    const tz = this.tzMinutes();
    const d = localDate(p.at, tz);
    const t = localMidnight(d.year, d.month, d.day, tz) + this.slotOf(`${p.source}:${p.id}`);
    return { series: `${MEASUREMENTS.problems},district=${esc(p.district)},kind=${esc(p.kind)},source=${p.source}`, t };
  }

  line(p: ProblemItem): string {
    const w = this.where(p);
    return `${w.series} active=${p.active ? 1 : 0}i ${w.t}`;
  }

  /** The new state of an item, after a zero for its previous point if the change moved it. */
  lines(now: ProblemItem, before?: ProblemItem): string[] {
    const lines = [this.line(now)];
    if (before) {
      const a = this.where(now);
      const b = this.where(before);
      if (a.series !== b.series || a.t !== b.t) lines.unshift(this.line({ ...before, active: false }));
    }
    return lines;
  }

  record(now: ProblemItem, before?: ProblemItem): void {
    this.history.recordLines(this.lines(now, before));
  }

  recordAll(items: readonly ProblemItem[]): void {
    this.history.recordLines(items.flatMap((p) => this.lines(p)));
  }
}
