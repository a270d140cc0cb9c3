import { afterEach, describe, expect, it } from 'vitest';
import { rate } from '../../hub/index/rating.ts';
import { reviewTimes } from '../../hub/policy/time.ts';
import { Rng } from '../../simulators/random.ts';
import { rig, type Rig } from './api-helpers.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 5, 14, 16); // 2026-06-15 +08:00

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('the stateful hub rating agrees with the pure replay', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: cases arriving over five months, reviews on the 1st`, async () => {
      r = await rig(START);
      const rng = new Rng(seed);
      const cats = ['fraud-victim', 'fraud-victim', 'family-dispute', 'property-dispute', 'other-theft', 'burglary', 'assault', 'vehicle-theft', 'homicide', 'drugs'];
      const end = START + 150 * DAY;
      const reviews = reviewTimes(r.engine.policy.review, r.engine.policy.timezoneOffsetMinutes, START, end);
      let n = 0;
      for (let t = START; t < end; t += DAY) {
        r.clock.now = t + 10 * 3_600_000;
        for (let k = rng.poisson(1.2); k > 0; k--) {
          const category = rng.pick(cats);
          if (category === 'homicide' && !rng.chance(0.05)) continue;
          // Some cases arrive late: they occurred up to 60 days before they reach the hub.
          const occurredAt = r.clock.now - Math.floor(rng.next() * (rng.chance(0.2) ? 60 : 2) * DAY);
          const res = await r.app.inject({
            method: 'POST', url: '/api/cases', headers: { authorization: 'Bearer police-token-0123456789' },
            payload: { id: `S${seed}-${++n}`, department: 'police', category, compound: rng.chance(0.7) ? 'c0001' : 'c0002', occurredAt, registeredAt: occurredAt + 1000, status: 'registered' },
          });
          expect(res.statusCode).toBe(201);
        }
        const review = reviews.find((x) => x > t && x <= t + DAY);
        if (review !== undefined) {
          r.clock.now = review + 1;
          r.engine.tick();
        }
      }
      r.clock.now = end;
      // The scenario must move the plaque, or agreeing would prove nothing.
      expect(r.engine.ratings.audit('c0001').length).toBeGreaterThan(1);
      for (const id of ['c0001', 'c0002']) {
        const compound = r.state.compounds().find((c) => c.id === id);
        if (!compound) throw new Error('missing compound');
        const survey = r.engine.cases.surveyOf(id);
        const pure = rate(r.engine.policy, { compound, cases: r.engine.cases.casesOf(id), alarms: [], onlineRate: null, survey }, end);
        const live = r.engine.get(id);
        expect(live?.index).toBe(pure.evaluation.index);
        expect(live?.stars).toBe(pure.stars);
        expect((live?.detail as { reviewStars: number }).reviewStars).toBe(pure.state.reviewStars);
      }
    });
  }
});
