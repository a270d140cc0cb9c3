import { vehicle, vehicleCount, skewedIndex, plateFor } from './people.ts';
import { ev, pickType, type Behaviour, type Draft } from './types.ts';

/** Vehicle barrier with plate recognition: residents' cars recur, visitors are unknown vehicles. */
const TYPES = [['plate-read', 85], ['unknown-vehicle', 12], ['gate-open', 2], ['gate-fault', 0.05]] as const;

export const barrierBehaviour: Behaviour = {
  kind: 'barrier',
  ratePerHour(env): number {
    // ~0.7 cars per household, ~2 passages a day each, split over the lanes.
    return (env.compound.households * 0.7 * 2) / 24 / env.siblings;
  },
  next(env, rng): Draft[] {
    const { encoder, compound } = env;
    const lane = env.device.zone ?? 1;
    const direction = rng.chance(0.5) ? 'in' : 'out';
    const type = pickType(rng, encoder, TYPES);
    const confidence = Math.round(rng.uniform(0.8, 0.99) * 100) / 100;
    switch (type) {
      case 'plate-read': {
        const v = vehicle(compound, skewedIndex(rng, vehicleCount(compound)));
        return [{
          delayMs: 0,
          events: [ev(encoder, 'plate-read', { plate: v.plate, plateColor: v.plateColor, confidence, direction, lane, vehicleColour: v.colour, make: v.make })],
          meta: { vehicle: v.index },
        }];
      }
      case 'unknown-vehicle': {
        const color = rng.chance(0.9) ? 'blue' : 'green';
        const plate = plateFor(rng, color, rng.chance(0.6));
        return [{ delayMs: 0, events: [ev(encoder, 'unknown-vehicle', { plate, plateColor: color, confidence, direction, lane })] }];
      }
      case 'gate-open': {
        // A guard opens the arm for a delivery; it closes ~10 s later.
        const reason = rng.pick(['manual', 'remote']);
        return [
          { delayMs: 0, events: [ev(encoder, 'gate-open', { lane, reason })] },
          { delayMs: Math.round(rng.uniform(6_000, 20_000)), events: [ev(encoder, 'gate-close', { lane, reason: 'auto' })] },
        ];
      }
      default:
        return [{ delayMs: 0, events: [ev(encoder, 'gate-fault', { lane, reason: 'motor' })] }];
    }
  },
};
