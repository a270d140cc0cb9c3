import type { City, CityCompound } from '../../protocol/city.ts';
import type { CaseRecord, CompoundRef, ConfirmedAlarm } from '../../protocol/cases.ts';
import { Rng } from '../random.ts';
import { clamp, riskFactor } from './distributions.ts';
import { ALARM_RATES, CASE_RATES, DISTRICT_RISK, FACTOR_SHAPES, STATUS_WEIGHTS, type Factor } from './rates.ts';

const DAY_MS = 86_400_000;

export interface CaseHistoryOptions {
  seed: number;
  /** End of the history (epoch ms): the moment the city is rated. */
  at: number;
  /** Length of the history in days (default 400: the 365-day window plus a margin). */
  days?: number;
}

/** One compound's inputs to the safety index, plus the latent risks that drew them (for tests). */
export interface CompoundHistory {
  compound: CompoundRef;
  cases: CaseRecord[];
  alarms: ConfirmedAlarm[];
  onlineRate: number;
  survey: number;
  risk: Record<Factor, number>;
}

/** Default rating instant of the calibration: 28 May (the day of Xiamen's first list), 2026, 00:00 UTC+8. */
export const FIRST_LIST_AT = Date.UTC(2026, 4, 27, 16, 0, 0);

function historyOf(rng: Rng, c: CityCompound, at: number, days: number): CompoundHistory {
  const district = DISTRICT_RISK[c.district] ?? 1;
  const risk: Record<Factor, number> = {
    crime: riskFactor(rng, FACTOR_SHAPES.crime),
    fraud: riskFactor(rng, FACTOR_SHAPES.fraud),
    dispute: riskFactor(rng, FACTOR_SHAPES.dispute),
  };
  const years = days / 365;
  const cases: CaseRecord[] = [];
  let n = 0;
  // Categories in a fixed order so a compound's stream never depends on object key order.
  for (const category of Object.keys(CASE_RATES).sort()) {
    const rate = CASE_RATES[category];
    if (!rate) continue;
    // Poisson with a gamma-distributed mean = negative binomial (DOMAIN.md).
    const mean = (rate.perThousandPerYear * c.households * years * district * risk[rate.factor]) / 1000;
    const count = rng.poisson(mean);
    for (let i = 0; i < count; i++) {
      const occurredAt = Math.floor(at - rng.next() * days * DAY_MS);
      // Registration lags by hours to a few days; never after the rating instant.
      const registeredAt = Math.min(at, occurredAt + Math.floor(rng.exponential(1 / (1.5 * DAY_MS))));
      cases.push({
        id: `${c.id}-k${String(++n).padStart(4, '0')}`,
        department: rng.weighted(rate.departments),
        category,
        compound: c.id,
        occurredAt,
        registeredAt,
        status: rng.weighted(STATUS_WEIGHTS),
      });
    }
  }
  const alarms: ConfirmedAlarm[] = [];
  for (const a of ALARM_RATES) {
    const devices = c.devices.filter((d) => d.kind === a.kind).length;
    const count = rng.poisson((a.perDevicePerYear * devices * years * risk.crime));
    for (let i = 0; i < count; i++) {
      const occurredAt = Math.floor(at - rng.next() * days * DAY_MS);
      alarms.push({ id: `${c.id}-a${String(alarms.length + 1).padStart(4, '0')}`, compound: c.id, type: a.type, occurredAt, confirmedAt: Math.min(at, occurredAt + 10 * 60_000) });
    }
  }
  // Device uptime: most compounds are well kept; a tenth run an ageing installation.
  const onlineRate = clamp(rng.chance(0.1) ? rng.normal(0.935, 0.02) : rng.normal(0.978, 0.01), 0.5, 1);
  // Survey satisfaction falls where disputes are common (residents feel what the data shows).
  const survey = clamp(rng.normal(0.95 - 0.006 * (risk.dispute - 1), 0.015), 0.5, 1);
  return {
    compound: { id: c.id, district: c.district, households: c.households },
    cases,
    alarms,
    onlineRate: Math.round(onlineRate * 10_000) / 10_000,
    survey: Math.round(survey * 10_000) / 10_000,
    risk,
  };
}

/**
 * Case histories for every compound of a city, deterministic by seed: each compound draws from
 * its own stream (seed, compound id), so adding compounds never changes the others' histories.
 */
export function generateCaseHistories(city: City, opts: CaseHistoryOptions): CompoundHistory[] {
  const root = new Rng(opts.seed ^ 0x5a17e5);
  const days = opts.days ?? 400;
  return city.compounds.map((c) => historyOf(root.fork(c.id), c, opts.at, days));
}

/** The histories' cases as bodies for POST /api/cases (times as ISO 8601), oldest registration first. */
export function caseBodies(histories: readonly CompoundHistory[]): Record<string, string>[] {
  return histories
    .flatMap((h) => h.cases)
    .sort((a, b) => a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : 1))
    .map((c) => ({
      id: c.id,
      department: c.department,
      category: c.category,
      compound: c.compound,
      occurredAt: new Date(c.occurredAt).toISOString(),
      registeredAt: new Date(c.registeredAt).toISOString(),
      status: c.status,
    }));
}
