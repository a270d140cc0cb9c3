import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { FieldTypes } from '../../hub/store/fields.ts';
import { eventLine, idHash32, nsTime } from '../../hub/store/line.ts';
import { influxQuery, makeEvent } from './helpers.ts';

/** Event ids as the schema allows them: [A-Za-z0-9_.:-]{8,100}. */
const idArb = fc.stringMatching(/^[A-Za-z0-9_.:-]{8,100}$/);
const msArb = fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 });

describe('idempotent ns time (from the event id)', () => {
  it('is frozen: golden vectors (points already stored depend on them)', () => {
    expect(nsTime(1_764_403_200_000, 'edge-1:1764403200000:000001')).toBe('1764403200000404485');
    expect(nsTime(1_764_403_200_000, 'edge-1:1764403200000:000002')).toBe('1764403200000889936');
    expect(idHash32('a')).toBe(444641715);
  });

  it('property: the same event always gets the same time, the ms digits then six sub-ms digits', () => {
    fc.assert(
      fc.property(idArb, msArb, (id, ms) => {
        const t = nsTime(ms, id);
        expect(t).toBe(nsTime(ms, id));
        expect(t).toHaveLength(String(ms).length + 6);
        expect(t.startsWith(String(ms))).toBe(true);
        // Same value as a number: ms · 10^6 + sub, with sub < 10^6.
        const sub = BigInt(t) - BigInt(ms) * 1_000_000n;
        expect(sub >= 0n && sub < 1_000_000n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a replayed event writes the identical line, whatever was written in between', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.array(fc.integer({ min: 0, max: 999_999 }), { maxLength: 20 }), (i, others) => {
        const f = new FieldTypes();
        const first = eventLine(makeEvent(i), f);
        for (const o of others) eventLine(makeEvent(o), f);
        expect(eventLine(makeEvent(i), new FieldTypes())).toBe(first);
      }),
      { numRuns: 200 },
    );
  });

  it('property: distinct ids in one millisecond collide no more than the birthday bound of 10^6 slots', () => {
    // n ids → expected colliding pairs n²/2·10^-6 (n = 4,000 → 8). A counter would give 0, a weak
    // hash (e.g. one that ignores the trailing counter) hundreds: the bound catches the latter.
    fc.assert(
      fc.property(fc.uniqueArray(idArb, { minLength: 4000, maxLength: 4000 }), (ids) => {
        const slots = new Map<string, number>();
        let pairs = 0;
        for (const id of ids) {
          const t = nsTime(1_764_403_200_000, id);
          const k = slots.get(t) ?? 0;
          pairs += k;
          slots.set(t, k + 1);
        }
        expect(pairs).toBeLessThanOrEqual(30);
      }),
      { numRuns: 5 },
    );
    // The edge's own id shape (edge:ms:counter), 20,000 consecutive counters of one millisecond.
    const slots = new Set<string>();
    for (let c = 0; c < 20_000; c++) slots.add(nsTime(1_764_403_200_000, `edge-17:1764403200000:${String(c).padStart(6, '0')}`));
    // 20,000 ids → expected ≈ 200 colliding pairs; a clustered hash would lose thousands of slots.
    expect(20_000 - slots.size).toBeLessThan(300);
  });
});

describe('idempotent ns time in a real InfluxDB', () => {
  let influx: InfluxdHandle;
  beforeAll(async () => {
    influx = await startInfluxd();
    await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE ns')}`, { method: 'POST' });
  });
  afterAll(async () => influx?.stop());

  it('a replayed event overwrites itself; two events of one device in one ms stay apart', async () => {
    const a = makeEvent(1, { device: 'dev-x' });
    const b = makeEvent(2, { device: 'dev-x', deviceTime: a.deviceTime }); // same device, same ms
    expect(nsTime(a.deviceTime, a.id)).not.toBe(nsTime(b.deviceTime, b.id));
    const write = async (lines: string[]): Promise<void> => {
      const r = await fetch(`${influx.url}/write?db=ns&precision=ns`, { method: 'POST', body: lines.join('\n') });
      expect(r.status).toBe(204);
    };
    // Two "processes" (fresh FieldTypes each) write a, b, then a again as a replay would.
    await write([eventLine(a, new FieldTypes()), eventLine(b, new FieldTypes())]);
    await write([eventLine(a, new FieldTypes())]);
    const rows = await influxQuery(influx.url, 'ns', `SELECT id FROM events WHERE device = 'dev-x'`);
    expect(rows.map((r) => r[1]).sort()).toEqual([a.id, b.id].sort());
    // count(id) too: an overwrite leaves one point, a second point would count 3.
    expect(await influxQuery(influx.url, 'ns', `SELECT count(id) FROM events WHERE device = 'dev-x'`)).toEqual([[0, 2]]);
  });
});
