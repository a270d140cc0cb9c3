import type { Rng } from '../random.ts';
import { ev, pickType, type Behaviour, type Draft } from './types.ts';

/**
 * Camera analytics: motion dominates; crossings and region entries follow people; faults are rare.
 * A region entry is one person's: its leave follows on the same region (DWELL), so no leave is
 * drawn on its own (GB/T 28181 intrusion EventType 1 / 2 and Hik regionEntrance / regionExiting
 * report one target entering and leaving).
 */
const TYPES = [
  ['motion', 80], ['line-crossing', 9], ['intrusion-enter', 3], ['loitering', 0.4],
  ['crowd-density', 0.8], ['video-loss', 0.1], ['tamper', 0.05], ['disk-fault', 0.02], ['fault', 0.02],
] as const;

/**
 * How long a person stays in a watched region: most pass through in under a minute, a few linger
 * (a courier waiting, a gardener), rarely for long: log-normal, median 40 s (95 % under ~3.5 min,
 * 99.9 % under ~15 min), capped at an hour.
 */
const DWELL_MEDIAN_MS = 40_000;
const DWELL_SIGMA = 1;
const DWELL_MAX_MS = 3_600_000;
function dwellMs(rng: Rng): number {
  return Math.min(DWELL_MAX_MS, Math.round(rng.lognormal(DWELL_MEDIAN_MS, DWELL_SIGMA)));
}

export const cameraBehaviour: Behaviour = {
  kind: 'camera',
  ratePerHour(): number {
    return 12;
  },
  next(env, rng, hour): Draft[] {
    const { encoder } = env;
    // Hikvision cameras also push "videoloss inactive" keep-alives: zero events.
    if (encoder.profile === 'hik-camera-alert' && rng.chance(0.02)) return [{ delayMs: 0, events: [], marker: 'inactive', markerOf: 'video-loss' }];
    let type = pickType(rng, encoder, TYPES);
    // Crowds gather at gates by day, not at 3 a.m.
    if (type === 'crowd-density' && (hour < 7 || hour > 21)) type = 'motion';
    const region = 1 + Math.floor(rng.next() * 4);
    const attrs: Record<string, number | string> = { region };
    if (type === 'crowd-density') attrs['peopleCount'] = 10 + Math.floor(rng.next() * 25);
    const variant = type === 'intrusion-enter' && rng.chance(0.3) ? 'region' : type === 'tamper' && rng.chance(0.3) ? 'shelter' : '';
    const first: Draft = { delayMs: 0, events: [ev(encoder, type, attrs)], ...(variant ? { meta: { variant } } : {}) };
    if (type !== 'intrusion-enter' || !encoder.supports.has('intrusion-leave')) return [first];
    return [first, { delayMs: dwellMs(rng), events: [ev(encoder, 'intrusion-leave', { region })] }];
  },
};
