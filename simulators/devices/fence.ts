import { ev, pickType, type Behaviour, type Draft } from './types.ts';

/**
 * Perimeter fence: pulse fences are quiet (rare nuisance touches from wind and animals);
 * Gallagher energisers also push a status report every few minutes (one `heartbeat` event).
 */
const ALARMS = [['fence-alarm', 60], ['short-circuit', 5], ['power-loss', 3], ['link-loss', 3], ['tamper', 1], ['arm', 14], ['disarm', 14]] as const;

export const fenceBehaviour: Behaviour = {
  kind: 'fence',
  ratePerHour(env): number {
    return env.encoder.profile === 'gallagher-energiser' ? 12 : 0.15;
  },
  next(env, rng): Draft[] {
    const { encoder } = env;
    const zone = env.device.zone ?? 1;
    if (encoder.profile === 'gallagher-energiser' && rng.chance(0.99)) {
      return [{ delayMs: 0, events: [ev(encoder, 'heartbeat', {})] }];
    }
    const type = pickType(rng, encoder, ALARMS);
    if (type === 'disarm') {
      // Maintenance: disarmed for a few minutes, then armed again.
      return [
        { delayMs: 0, events: [ev(encoder, 'disarm', { zone })] },
        { delayMs: Math.round(rng.uniform(120_000, 900_000)), events: [ev(encoder, 'arm', { zone })] },
      ];
    }
    const voltageKv = type === 'fence-alarm' ? Math.round(rng.uniform(4, 7) * 10) / 10 : undefined;
    return [{ delayMs: 0, events: [ev(encoder, type, { zone, ...(voltageKv !== undefined ? { voltageKv } : {}) })] }];
  },
};
