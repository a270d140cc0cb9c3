import type { Rng } from '../random.ts';

/**
 * Device clocks. Most devices sync by NTP; ~12 % drift: an initial offset plus a rate error in
 * ppm. 116 ppm ≈ 10 s/day, the GB 50396 limit; some devices exceed it on purpose.
 */
export interface Clock {
  offsetMs: number;
  ppm: number;
  /** Epoch ms at which the offset was measured. */
  since: number;
}

export function drawClock(rng: Rng, since: number, enabled: boolean): Clock {
  if (!enabled || !rng.chance(0.12)) return { offsetMs: 0, ppm: 0, since };
  const sign = rng.chance(0.5) ? 1 : -1;
  return { offsetMs: Math.round(sign * rng.uniform(500, 90_000)), ppm: Math.round(sign * rng.uniform(20, 400)), since };
}

export function deviceTime(clock: Clock, t: number): number {
  return Math.round(t + clock.offsetMs + ((t - clock.since) * clock.ppm) / 1e6);
}
