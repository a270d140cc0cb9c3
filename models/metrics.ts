import { alertTimes, type ScoredPoint } from './threshold.ts';

/**
 * Evaluation metrics. Average precision is the PR-AUC estimate (step-wise, ties grouped), which —
 * unlike ROC-AUC — stays honest when anomalies are rare (DOMAIN.md: a high AUC can hide a useless
 * alert rate).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i]) positives++;
  if (positives === 0) return 0;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < n; ) {
    const s = scores[idx[i]!]!;
    // a group of equal scores enters together
    while (i < n && scores[idx[i]!]! === s) {
      if (labels[idx[i]!]) tp++;
      else fp++;
      i++;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** A ground-truth incident (from the simulators' truth records). */
export interface Incident {
  id: string;
  scenario: string;
  compound: string;
  /** Devices the incident touched (a cloned card also shows at another compound's door). */
  devices: readonly string[];
  start: number;
  end: number;
}

export interface AlertEvaluation {
  threshold: number;
  alerts: number;
  falseAlerts: number;
  falseAlertsPerCompoundDay: number;
  incidents: number;
  detected: number;
  /** Incident recall: incidents with a flagged event of their compound within ±tolerance. */
  recall: number;
  /** Alerts that land within ±tolerance of an incident of their compound. */
  precision: number;
  f1: number;
  byScenario: Record<string, { incidents: number; detected: number; recall: number }>;
}

/**
 * Rate alerts against incidents. `points` sorted by t; an incident counts as detected when any
 * event of its compound (or of one of its devices) scores above the threshold within
 * [start − tol, end + tol]; an alert is true when it starts within that span of such an incident.
 */
export function evaluateAlerts(
  points: readonly ScoredPoint[],
  incidents: readonly Incident[],
  threshold: number,
  opts: { compoundDays: number; toleranceMs?: number; refractoryMs?: number },
): AlertEvaluation {
  const tol = opts.toleranceMs ?? 5 * 60_000;
  const byKey = new Map<string, Incident[]>();
  const index = (key: string, inc: Incident): void => {
    const list = byKey.get(key) ?? [];
    if (!list.includes(inc)) list.push(inc);
    byKey.set(key, list);
  };
  for (const inc of incidents) {
    index(`c:${inc.compound}`, inc);
    for (const d of inc.devices) index(`d:${d}`, inc);
  }
  const near = (compound: string, t: number, device?: string): Incident[] => {
    const cands = [...(byKey.get(`c:${compound}`) ?? []), ...(device !== undefined ? byKey.get(`d:${device}`) ?? [] : [])];
    return cands.filter((i) => t >= i.start - tol && t <= i.end + tol);
  };

  const detected = new Set<string>();
  for (const p of points) {
    if (!(p.score > threshold)) continue;
    for (const inc of near(p.compound, p.t, p.device)) detected.add(inc.id);
  }
  const alerts = alertTimes(points, threshold, opts.refractoryMs);
  let trueAlerts = 0;
  for (const a of alerts) if (near(a.compound, a.t, a.device).length > 0) trueAlerts++;
  const falseAlerts = alerts.length - trueAlerts;
  const recall = incidents.length === 0 ? 0 : detected.size / incidents.length;
  const precision = alerts.length === 0 ? 0 : trueAlerts / alerts.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

  const byScenario: AlertEvaluation['byScenario'] = {};
  for (const inc of incidents) {
    const s = (byScenario[inc.scenario] ??= { incidents: 0, detected: 0, recall: 0 });
    s.incidents++;
    if (detected.has(inc.id)) s.detected++;
  }
  for (const s of Object.values(byScenario)) s.recall = s.detected / s.incidents;

  return {
    threshold,
    alerts: alerts.length,
    falseAlerts,
    falseAlertsPerCompoundDay: falseAlerts / Math.max(1, opts.compoundDays),
    incidents: incidents.length,
    detected: detected.size,
    recall,
    precision,
    f1,
    byScenario,
  };
}
