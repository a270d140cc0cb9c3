import Type from 'typebox';
import { compileChecker, type Problem } from '../../protocol/validate.ts';

/**
 * The safety-index policy (DOMAIN.md "Safety index", issue 6): every number the rating uses lives
 * in one versioned JSON file validated by this schema, so a city can read, audit and tune it.
 * Units are in the field names (Days, Minutes, fractions 0..1, index points 0..100).
 */

export const SUB_SCORE_KEYS = ['crime', 'other', 'survey', 'iot', 'online'] as const;
export type SubScoreKey = (typeof SUB_SCORE_KEYS)[number];

const Key = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' });
const Fraction = Type.Number({ minimum: 0, maximum: 1 });
const Points = Type.Number({ minimum: 0, maximum: 100 });
const Days = Type.Number({ exclusiveMinimum: 0, maximum: 3650 });

const ExpCurve = Type.Object(
  {
    /** score = 100 · e^(−R/tau), R = decayed weighted count per normalised households. */
    type: Type.Literal('exp'),
    tau: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);
const LinearCurve = Type.Object(
  {
    /** score = 0 at `zeroAt`, 100 at `fullAt`, linear between, clamped. Inputs are fractions. */
    type: Type.Literal('linear'),
    zeroAt: Fraction,
    fullAt: Fraction,
  },
  { additionalProperties: false },
);

const SubScore = <C extends typeof ExpCurve | typeof LinearCurve>(curve: C) =>
  Type.Object({ weight: Fraction, curve }, { additionalProperties: false });

const Category = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 100 }),
    /** Which sub-score the case feeds: crime (police/procuratorate matters) or other events. */
    subScore: Type.Union([Type.Literal('crime'), Type.Literal('other')]),
    /** Severity weight per case (DOMAIN.md table). */
    weight: Type.Number({ minimum: 0, maximum: 100 }),
    /** Counts against `zeroPreventable` (Beijing's "zero cases": burglary, home robbery, vehicle theft). */
    preventable: Type.Boolean(),
    /** Counts against `zeroAlerts` (零警情) whatever department posted it. */
    alert: Type.Boolean(),
    /** Drivers of the bottom list are grouped by theme (fraud, disputes, theft, violence, vice). */
    theme: Key,
  },
  { additionalProperties: false },
);

const Band = Type.Object(
  {
    stars: Type.Integer({ minimum: 1, maximum: 5 }),
    /** Lower bound of the band in index points. */
    min: Points,
    /** True: index ≥ min; false: index > min (5★ is "> 90" [S]). */
    inclusive: Type.Boolean(),
  },
  { additionalProperties: false },
);

const DowngradeRule = Type.Object(
  {
    id: Key,
    categories: Type.Array(Key, { minItems: 1 }),
    starsPerCase: Type.Integer({ minimum: 1, maximum: 5 }),
    maxStars: Type.Integer({ minimum: 1, maximum: 5 }),
    /** Counted from the case's occurrence; effective from when the hub knows the case. */
    durationDays: Days,
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    version: Type.String({ pattern: '^[0-9]{4}\\.[0-9]+$' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Calendar years, quarters, months and review days are local: Xiamen is UTC+8 (480 min). */
    timezoneOffsetMinutes: Type.Integer({ minimum: -720, maximum: 840 }),
    departments: Type.Array(Key, { minItems: 1, uniqueItems: true }),
    statuses: Type.Object(
      {
        /** Statuses that count; the others (withdrawn, unfounded) are stored but never scored. */
        counting: Type.Array(Key, { minItems: 1, uniqueItems: true }),
        ignored: Type.Array(Key, { uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    window: Type.Object({ days: Days, halfLifeDays: Days }, { additionalProperties: false }),
    normalisation: Type.Object(
      {
        /** R is per this many households. */
        perHouseholds: Type.Number({ exclusiveMinimum: 0 }),
        /** Small compounds count as this many households so one case doesn't sink them. */
        householdsFloor: Type.Number({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
    categories: Type.Record(Key, Category),
    iot: Type.Object(
      {
        /** Weight per confirmed device alarm, by canonical event type; other types never score. */
        weights: Type.Record(Key, Type.Number({ minimum: 0, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
    subScores: Type.Object(
      {
        crime: SubScore(ExpCurve),
        other: SubScore(ExpCurve),
        survey: SubScore(LinearCurve),
        iot: SubScore(ExpCurve),
        online: SubScore(LinearCurve),
      },
      { additionalProperties: false },
    ),
    /** A sub-score without input (no survey yet, no devices) leaves the index; the rest re-weigh. */
    missingSubScore: Type.Literal('renormalise'),
    stars: Type.Object(
      {
        bands: Type.Array(Band, { minItems: 1, maxItems: 5 }),
        /** Stars below every band (1★ < 60 [P]). */
        belowBands: Type.Integer({ minimum: 1, maximum: 5 }),
      },
      { additionalProperties: false },
    ),
    veto: Type.Object(
      {
        categories: Type.Array(Key, { uniqueItems: true }),
        /**
         * 一票否决 lasts from when the case is known to the first review on or after both local
         * 1 January after the year it occurred and registration + this many days.
         */
        minDaysFromRegistration: Days,
        /** A case that occurred longer ago than this before it was registered does not veto. */
        maxCaseAgeDays: Days,
      },
      { additionalProperties: false },
    ),
    downgrades: Type.Object(
      {
        rules: Type.Array(DowngradeRule),
        maxTotalStars: Type.Integer({ minimum: 0, maximum: 5 }),
        /** Downgrades never take a compound below this, only a veto does. */
        floorStars: Type.Integer({ minimum: 0, maximum: 5 }),
      },
      { additionalProperties: false },
    ),
    fiveStarGates: Type.Object(
      {
        stars: Type.Integer({ minimum: 1, maximum: 5 }),
        noVeto: Type.Boolean(),
        minOnlineRate: Fraction,
        /** Whether a compound with no device data passes the online-rate gate. */
        unknownOnlineRatePasses: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    review: Type.Object(
      {
        schedule: Type.Union([Type.Literal('monthly'), Type.Literal('quarterly')]),
        dayOfMonth: Type.Integer({ minimum: 1, maximum: 28 }),
        /** First review (local date YYYY-MM-DD); the rating history is folded from here. */
        epoch: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
        /** Upgrade to a band only when the index clears its threshold by this many points … */
        hysteresisPoints: Type.Number({ minimum: 0, maximum: 20 }),
        /** … on this many consecutive review runs (the same count holds a level on the way down). */
        consecutiveRuns: Type.Integer({ minimum: 1, maximum: 12 }),
        /**
         * The mirror of the upgrade rule: a level is left at a review when the index was more than
         * this many points below its threshold on `consecutiveRuns` runs. Symmetric hysteresis
         * keeps the published five-star share where the data puts it instead of ratcheting down
         * month after month (drops are sudden, rises slow).
         */
        dropPoints: Type.Number({ minimum: 0, maximum: 20 }),
        /** A fall of more than this many points below the level's threshold takes it down at once. */
        immediateDropPoints: Type.Number({ minimum: 0, maximum: 50 }),
        /**
         * The review's city calibration (calibration.ts): each review shifts every band by one
         * city offset so the published five-star share is `fiveStarShare`, lifts a district at or
         * below `minDistrictShare` just over it, never by more than `maxOffsetPoints`, and only
         * with at least `minCompounds` rated compounds. Absent: fixed thresholds.
         */
        calibration: Type.Optional(
          Type.Object(
            {
              fiveStarShare: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
              minDistrictShare: Type.Number({ minimum: 0, exclusiveMaximum: 1 }),
              maxOffsetPoints: Type.Number({ minimum: 0, maximum: 30 }),
              minCompounds: Type.Integer({ minimum: 1 }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    /**
     * A compound with no survey, no device ever heard and no case in the window is unrated (not
     * 100 / 5★): shown as such and left out of the star shares.
     */
    unratedWithoutData: Type.Boolean(),
    /**
     * Which case categories each department may post (DOMAIN.md: only police and courts post veto
     * and downgrade categories). A department missing here may post nothing.
     */
    departmentCategories: Type.Record(Key, Type.Array(Key, { uniqueItems: true })),
    streaks: Type.Object(
      {
        /** Any case from these departments breaks zeroAlerts (110 calls are police cases). */
        alertDepartments: Type.Array(Key, { uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    explain: Type.Object(
      { maxDrivers: Type.Integer({ minimum: 1, maximum: 200 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export interface Curve {
  type: 'exp' | 'linear';
  tau?: number;
  zeroAt?: number;
  fullAt?: number;
}

export interface CategoryDef {
  label: string;
  subScore: 'crime' | 'other';
  weight: number;
  preventable: boolean;
  alert: boolean;
  theme: string;
}

export interface StarBand {
  stars: number;
  min: number;
  inclusive: boolean;
}

export interface DowngradeRuleDef {
  id: string;
  categories: string[];
  starsPerCase: number;
  maxStars: number;
  durationDays: number;
}

export interface Policy {
  version: string;
  description?: string;
  timezoneOffsetMinutes: number;
  departments: string[];
  statuses: { counting: string[]; ignored: string[] };
  window: { days: number; halfLifeDays: number };
  normalisation: { perHouseholds: number; householdsFloor: number };
  categories: Record<string, CategoryDef>;
  iot: { weights: Record<string, number> };
  subScores: {
    crime: { weight: number; curve: { type: 'exp'; tau: number } };
    other: { weight: number; curve: { type: 'exp'; tau: number } };
    survey: { weight: number; curve: { type: 'linear'; zeroAt: number; fullAt: number } };
    iot: { weight: number; curve: { type: 'exp'; tau: number } };
    online: { weight: number; curve: { type: 'linear'; zeroAt: number; fullAt: number } };
  };
  missingSubScore: 'renormalise';
  stars: { bands: StarBand[]; belowBands: number };
  veto: { categories: string[]; minDaysFromRegistration: number; maxCaseAgeDays: number };
  downgrades: { rules: DowngradeRuleDef[]; maxTotalStars: number; floorStars: number };
  fiveStarGates: {
    stars: number;
    noVeto: boolean;
    minOnlineRate: number;
    unknownOnlineRatePasses: boolean;
  };
  review: {
    schedule: 'monthly' | 'quarterly';
    dayOfMonth: number;
    epoch: string;
    hysteresisPoints: number;
    consecutiveRuns: number;
    dropPoints: number;
    immediateDropPoints: number;
    calibration?: { fiveStarShare: number; minDistrictShare: number; maxOffsetPoints: number; minCompounds: number };
  };
  unratedWithoutData: boolean;
  departmentCategories: Record<string, string[]>;
  streaks: { alertDepartments: string[] };
  explain: { maxDrivers: number };
}

/** DOMAIN.md [P]: the departments that may post veto and downgrade categories. */
export const EFFECT_DEPARTMENTS: readonly string[] = ['police', 'court'];

export const checkPolicyShape = compileChecker<Policy>(PolicySchema, 10);

/**
 * Rules the schema can't say: references between sections, sums and orderings. Returned as
 * problems with a JSON-pointer path, like the schema's own.
 */
export function crossCheckPolicy(p: Policy): Problem[] {
  const problems: Problem[] = [];
  const cats = new Set(Object.keys(p.categories));
  const weightSum = SUB_SCORE_KEYS.reduce((s, k) => s + p.subScores[k].weight, 0);
  if (Math.abs(weightSum - 1) > 1e-9) {
    problems.push({ path: '/subScores', message: `sub-score weights must sum to 1, got ${weightSum}` });
  }
  for (const k of ['survey', 'online'] as const) {
    const c = p.subScores[k].curve;
    if (!(c.fullAt > c.zeroAt)) problems.push({ path: `/subScores/${k}/curve`, message: `fullAt (${c.fullAt}) must be above zeroAt (${c.zeroAt})` });
  }
  p.veto.categories.forEach((c, i) => {
    if (!cats.has(c)) problems.push({ path: `/veto/categories/${i}`, message: `unknown category '${c}'` });
  });
  const ruled = new Map<string, string>();
  p.downgrades.rules.forEach((r, i) => {
    if (r.maxStars < r.starsPerCase) problems.push({ path: `/downgrades/rules/${i}/maxStars`, message: `maxStars (${r.maxStars}) is below starsPerCase (${r.starsPerCase})` });
    r.categories.forEach((c, j) => {
      const path = `/downgrades/rules/${i}/categories/${j}`;
      if (!cats.has(c)) problems.push({ path, message: `unknown category '${c}'` });
      else if (p.veto.categories.includes(c)) problems.push({ path, message: `category '${c}' is a veto category; it cannot also downgrade` });
      const other = ruled.get(c);
      if (other !== undefined) problems.push({ path, message: `category '${c}' is already in rule '${other}'` });
      ruled.set(c, r.id);
    });
  });
  const bands = p.stars.bands;
  for (let i = 1; i < bands.length; i++) {
    const a = bands[i - 1];
    const b = bands[i];
    if (a && b && !(a.stars > b.stars && a.min > b.min)) {
      problems.push({ path: `/stars/bands/${i}`, message: 'bands must be listed from most stars to fewest with falling minimums' });
    }
  }
  const last = bands[bands.length - 1];
  if (last && !(p.stars.belowBands < last.stars)) problems.push({ path: '/stars/belowBands', message: `must be below the lowest band's stars (${last.stars})` });
  if (p.downgrades.floorStars > p.stars.belowBands) problems.push({ path: '/downgrades/floorStars', message: `floor (${p.downgrades.floorStars}) is above the lowest star level (${p.stars.belowBands})` });
  for (const s of p.statuses.counting) {
    if (p.statuses.ignored.includes(s)) problems.push({ path: '/statuses', message: `status '${s}' is both counting and ignored` });
  }
  p.streaks.alertDepartments.forEach((d, i) => {
    if (!p.departments.includes(d)) problems.push({ path: `/streaks/alertDepartments/${i}`, message: `unknown department '${d}'` });
  });
  const effectCats = new Set([...p.veto.categories, ...p.downgrades.rules.flatMap((r) => r.categories)]);
  for (const [dept, list] of Object.entries(p.departmentCategories)) {
    if (!p.departments.includes(dept)) problems.push({ path: `/departmentCategories/${dept}`, message: `unknown department '${dept}'` });
    list.forEach((c, i) => {
      const path = `/departmentCategories/${dept}/${i}`;
      if (!cats.has(c)) problems.push({ path, message: `unknown category '${c}'` });
      // DOMAIN.md: only police and courts post veto and downgrade categories.
      else if (effectCats.has(c) && !EFFECT_DEPARTMENTS.includes(dept)) problems.push({ path, message: `'${c}' vetoes or downgrades; only ${EFFECT_DEPARTMENTS.join(' and ')} may post it` });
    });
  }
  if (Number.isNaN(Date.parse(`${p.review.epoch}T00:00:00Z`))) problems.push({ path: '/review/epoch', message: `not a date: '${p.review.epoch}'` });
  return problems;
}
