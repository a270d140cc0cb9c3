import type { DeviceKind } from '../../protocol/devices.ts';

/**
 * Daily rhythm of a residential compound: relative activity per local hour, weekday vs weekend.
 * Morning (7–9) and evening (17–20) peaks, a night lull (1–5), later and flatter weekends.
 * Each curve is normalised so its weekly mean is 1: a device's base rate is then its average.
 */
type Curve = readonly number[]; // 24 values, one per local hour

const ACCESS_WEEKDAY: Curve = [0.15, 0.08, 0.05, 0.04, 0.05, 0.2, 0.8, 2.2, 2.6, 1.4, 0.9, 1.0, 1.3, 1.0, 0.9, 1.0, 1.3, 2.0, 2.6, 2.2, 1.6, 1.1, 0.6, 0.3];
const ACCESS_WEEKEND: Curve = [0.25, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.8, 1.3, 1.6, 1.7, 1.6, 1.5, 1.4, 1.4, 1.5, 1.6, 1.8, 1.9, 1.8, 1.5, 1.2, 0.8, 0.45];
const BARRIER_WEEKDAY: Curve = [0.1, 0.05, 0.03, 0.03, 0.05, 0.2, 1.0, 3.0, 3.2, 1.2, 0.7, 0.8, 1.0, 0.8, 0.7, 0.9, 1.4, 2.8, 3.0, 1.8, 1.1, 0.7, 0.4, 0.2];
const BARRIER_WEEKEND: Curve = [0.2, 0.1, 0.05, 0.03, 0.03, 0.08, 0.3, 0.8, 1.4, 1.8, 1.9, 1.6, 1.3, 1.2, 1.3, 1.5, 1.7, 1.8, 1.7, 1.4, 1.1, 0.8, 0.5, 0.3];
// Cameras see people plus a floor of night-time motion (cats, headlights, insects at IR lamps).
const CAMERA_WEEKDAY: Curve = ACCESS_WEEKDAY.map((v) => 0.3 + 0.7 * v);
const CAMERA_WEEKEND: Curve = ACCESS_WEEKEND.map((v) => 0.3 + 0.7 * v);
// Fence nuisance alarms (wind, animals) and status reports do not follow residents.
const FLAT: Curve = new Array<number>(24).fill(1);

function normalised(weekday: Curve, weekend: Curve): { weekday: number[]; weekend: number[]; max: number } {
  const sum = (c: Curve): number => c.reduce((a, b) => a + b, 0);
  const mean = (5 * sum(weekday) + 2 * sum(weekend)) / (7 * 24);
  const wd = weekday.map((v) => v / mean);
  const we = weekend.map((v) => v / mean);
  return { weekday: wd, weekend: we, max: Math.max(...wd, ...we) };
}

const CURVES: Record<DeviceKind, ReturnType<typeof normalised>> = {
  access: normalised(ACCESS_WEEKDAY, ACCESS_WEEKEND),
  barrier: normalised(BARRIER_WEEKDAY, BARRIER_WEEKEND),
  camera: normalised(CAMERA_WEEKDAY, CAMERA_WEEKEND),
  fence: normalised(FLAT, FLAT),
};

/**
 * Local wall-clock hour (fractional) and weekend flag of epoch ms at a fixed offset. Plain
 * arithmetic (no Date): it runs for every candidate event. 1970-01-01 was a Thursday.
 */
export function localClock(ms: number, tzOffsetMinutes: number): { hour: number; weekend: boolean } {
  const local = ms + tzOffsetMinutes * 60_000;
  const day = Math.floor(local / 86_400_000);
  const weekday = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return { hour: (local - day * 86_400_000) / 3_600_000, weekend: weekday === 0 || weekday === 6 };
}

/** Activity multiplier at `ms` (weekly mean 1), linearly interpolated between hour midpoints. */
export function rhythmAt(kind: DeviceKind, ms: number, tzOffsetMinutes: number): number {
  const { hour, weekend } = localClock(ms, tzOffsetMinutes);
  const c = CURVES[kind];
  const curve = weekend ? c.weekend : c.weekday;
  const x = hour - 0.5;
  const i0 = Math.floor(x);
  const f = x - i0;
  const a = curve[(i0 + 24) % 24] as number;
  const b = curve[(i0 + 25) % 24] as number;
  return a + (b - a) * f;
}

/** Upper bound of rhythmAt for the kind (for thinning). */
export function rhythmMax(kind: DeviceKind): number {
  return CURVES[kind].max;
}
