import { ev, pickType, type Behaviour, type Draft } from './types.ts';

/** Camera analytics: motion dominates; crossings and region entries follow people; faults are rare. */
const TYPES = [
  ['motion', 80], ['line-crossing', 9], ['intrusion-enter', 3], ['intrusion-leave', 3], ['loitering', 0.4],
  ['crowd-density', 0.8], ['video-loss', 0.1], ['tamper', 0.05], ['disk-fault', 0.02], ['fault', 0.02],
] as const;

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
    return [{ delayMs: 0, events: [ev(encoder, type, attrs)], ...(variant ? { meta: { variant } } : {}) }];
  },
};
