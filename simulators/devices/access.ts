import type { Rng } from '../random.ts';
import { resident, residentCount, skewedIndex, strangerCard } from './people.ts';
import { ev, pickType, type Behaviour, type DeviceEnv, type Draft } from './types.ts';

/**
 * Access door: mostly residents' passages (card, face, QR, remote), some denials, door-open
 * durations, and a thin background of nuisance alarms real doors produce (held open, bad contacts).
 */
const TYPES = [
  ['granted', 90], ['denied', 7], ['door-held', 1.2], ['anti-passback', 0.8], ['repeated-denied', 0.15],
  ['tailgating', 0.3], ['door-forced', 0.05], ['tamper', 0.01],
] as const;

const DENY_REASONS = [['no-permission', 3], ['unknown-card', 3], ['expired', 2], ['outside-schedule', 1], ['face-fail', 2]] as const;

function method(rng: Rng): string {
  return rng.weighted([['card', 50], ['face', 35], ['qr', 8], ['remote', 5], ['password', 2]] as const);
}

export const accessBehaviour: Behaviour = {
  kind: 'access',
  ratePerHour(env: DeviceEnv): number {
    // ~3 passages per household per day, split over the doors.
    return (env.compound.households * 3) / 24 / env.siblings;
  },
  next(env, rng): Draft[] {
    const { encoder, compound } = env;
    const door = env.device.zone ?? 1;
    const direction = rng.chance(0.5) ? 'in' : 'out';
    const type = pickType(rng, encoder, TYPES);
    const who = resident(compound, skewedIndex(rng, residentCount(compound)));
    switch (type) {
      case 'granted': {
        const m = method(rng);
        const attrs: Record<string, string | number> = { method: m, door, direction };
        if (m === 'card' || m === 'qr') { attrs['card'] = who.card; attrs['person'] = who.person; attrs['employee'] = who.employee; }
        if (m === 'face' || m === 'password') { attrs['person'] = who.person; attrs['employee'] = who.employee; }
        // Door open time: lognormal, median 4 s; a few people hold the door for a neighbour.
        const openS = Math.round(Math.min(600, rng.lognormal(4, 0.6)) * 10) / 10;
        return [{ delayMs: 0, events: [ev(encoder, 'granted', attrs)], meta: { resident: who.index, openS } }];
      }
      case 'denied': {
        const reason = rng.weighted(DENY_REASONS);
        const card = reason === 'unknown-card' ? strangerCard(rng) : who.card;
        return [{ delayMs: 0, events: [ev(encoder, 'denied', { method: 'card', card, reason, door, direction })] }];
      }
      case 'door-held': {
        // The alarm is raised when the door has stood open past its hold time; `durationS` is how
        // much longer it stays open (the intent knows it, no payload does) until the contact closes.
        const durationS = Math.round(rng.uniform(30, 300));
        return [
          { delayMs: 0, events: [ev(encoder, 'door-held', { door, durationS })], meta: { openS: durationS } },
          { delayMs: durationS * 1000, events: [ev(encoder, 'door-closed', { door })] },
        ];
      }
      case 'door-forced': {
        const drafts: Draft[] = [{ delayMs: 0, events: [ev(encoder, 'door-forced', { door })] }];
        if (encoder.profile === 'dahua-access') drafts.push({ delayMs: 15_000, events: [], marker: 'end', markerOf: 'door-forced' });
        return drafts;
      }
      case 'anti-passback':
        return [{ delayMs: 0, events: [ev(encoder, 'anti-passback', { card: who.card, door, direction })] }];
      case 'repeated-denied': {
        // GB 50396: the alarm follows 5 consecutive wrong credentials, so the denials come first.
        const card = strangerCard(rng);
        const drafts: Draft[] = [];
        let t = 0;
        for (let i = 0; i < 5; i++) {
          drafts.push({ delayMs: t, events: [ev(encoder, 'denied', { method: 'card', card, reason: 'unknown-card', door, direction })] });
          t += Math.round(rng.uniform(3_000, 12_000));
        }
        drafts.push({ delayMs: t - 2_000, events: [ev(encoder, 'repeated-denied', { door, count: 5 })] });
        return drafts;
      }
      case 'tailgating':
        return [{ delayMs: 0, events: [ev(encoder, 'tailgating', { door })] }];
      default:
        return [{ delayMs: 0, events: [ev(encoder, 'tamper', { door })] }];
    }
  },
};
