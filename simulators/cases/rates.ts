/**
 * Case rates of the simulated city [G: guesses in the spirit of DOMAIN.md, tuned so the default
 * policy reproduces Xiamen's first list]. Per 1,000 households per year, before district and
 * compound risk. Each category follows one latent compound factor:
 *  - `crime`: theft, violence, vice (moderately overdispersed);
 *  - `fraud`: telecom-fraud victims and fraud dens (elderly, rental-heavy compounds: heavy tail);
 *  - `dispute`: family, neighbour, property-management disputes, 12345, petitions, civil cases
 *    (a bad property manager makes a few compounds generate most disputes: heaviest tail).
 * Departments follow how the cases reach the city (110 → police, mediation → justice, …) and
 * the policy's departmentCategories (veto and downgrade categories only from police and courts).
 */
export type Factor = 'crime' | 'fraud' | 'dispute';

export interface CategoryRate {
  perThousandPerYear: number;
  factor: Factor;
  /** Departments that post it, with weights. */
  departments: readonly (readonly [string, number])[];
}

const POLICE = [['police', 1]] as const;

export const CASE_RATES: Readonly<Record<string, CategoryRate>> = {
  homicide: { perThousandPerYear: 0.006, factor: 'crime', departments: POLICE },
  rape: { perThousandPerYear: 0.01, factor: 'crime', departments: POLICE },
  'home-robbery': { perThousandPerYear: 0.03, factor: 'crime', departments: POLICE },
  arson: { perThousandPerYear: 0.005, factor: 'crime', departments: POLICE },
  explosion: { perThousandPerYear: 0.001, factor: 'crime', departments: POLICE },
  kidnapping: { perThousandPerYear: 0.001, factor: 'crime', departments: POLICE },
  poisoning: { perThousandPerYear: 0.001, factor: 'crime', departments: POLICE },
  'fatal-injury': { perThousandPerYear: 0.005, factor: 'crime', departments: POLICE },
  burglary: { perThousandPerYear: 0.25, factor: 'crime', departments: POLICE },
  drugs: { perThousandPerYear: 0.04, factor: 'crime', departments: [['police', 0.8], ['court', 0.2]] },
  gambling: { perThousandPerYear: 0.05, factor: 'crime', departments: POLICE },
  prostitution: { perThousandPerYear: 0.02, factor: 'crime', departments: POLICE },
  'fraud-den': { perThousandPerYear: 0.015, factor: 'fraud', departments: [['police', 0.7], ['court', 0.3]] },
  robbery: { perThousandPerYear: 0.02, factor: 'crime', departments: POLICE },
  assault: { perThousandPerYear: 0.12, factor: 'crime', departments: [['police', 0.85], ['procuratorate', 0.15]] },
  'vehicle-theft': { perThousandPerYear: 0.15, factor: 'crime', departments: POLICE },
  'fraud-victim': { perThousandPerYear: 5, factor: 'fraud', departments: POLICE },
  'other-theft': { perThousandPerYear: 0.8, factor: 'crime', departments: POLICE },
  'ebike-theft': { perThousandPerYear: 1, factor: 'crime', departments: POLICE },
  'family-dispute': { perThousandPerYear: 4, factor: 'dispute', departments: [['police', 0.5], ['justice', 0.4], ['court', 0.1]] },
  'neighbour-dispute': { perThousandPerYear: 3, factor: 'dispute', departments: [['police', 0.4], ['justice', 0.6]] },
  'property-dispute': { perThousandPerYear: 5, factor: 'dispute', departments: [['12345', 0.6], ['justice', 0.3], ['court', 0.1]] },
  'complaint-12345': { perThousandPerYear: 6, factor: 'dispute', departments: [['12345', 1]] },
  petition: { perThousandPerYear: 1, factor: 'dispute', departments: [['petitions', 1]] },
  'civil-case': { perThousandPerYear: 3, factor: 'dispute', departments: [['court', 1]] },
};

/** Gamma shapes of the compound factors (variance = 1/shape). */
export const FACTOR_SHAPES: Readonly<Record<Factor, number>> = { crime: 5, fraud: 0.5, dispute: 0.5 };

/**
 * District risk [G]: fixed per district so the city-wide share doesn't wander with the seed.
 * Unknown districts get 1.
 */
export const DISTRICT_RISK: Readonly<Record<string, number>> = {
  siming: 0.97,
  huli: 1.03,
  jimei: 1.0,
  haicang: 0.95,
  tongan: 1.05,
  xiangan: 1.02,
};

/** Confirmed device alarms per device per year [G], by device kind → event type. */
export const ALARM_RATES: readonly { kind: string; type: string; perDevicePerYear: number }[] = [
  { kind: 'fence', type: 'fence-alarm', perDevicePerYear: 0.3 },
  { kind: 'fence', type: 'wire-cut', perDevicePerYear: 0.05 },
  { kind: 'access', type: 'door-forced', perDevicePerYear: 0.1 },
  { kind: 'access', type: 'duress', perDevicePerYear: 0.005 },
  { kind: 'camera', type: 'tamper', perDevicePerYear: 0.03 },
];

/** Statuses as departments report them; withdrawn and unfounded cases are stored but never score. */
export const STATUS_WEIGHTS: readonly (readonly [string, number])[] = [
  ['registered', 0.25],
  ['investigating', 0.2],
  ['closed', 0.45],
  ['prosecuted', 0.04],
  ['judged', 0.02],
  ['withdrawn', 0.02],
  ['unfounded', 0.02],
];
