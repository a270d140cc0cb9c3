import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../hub/ingest/parse.ts';
import { FieldTypes } from '../../hub/store/fields.ts';
import { IngestDb } from '../../hub/store/ingestDb.ts';
import { eventLine, nsTime } from '../../hub/store/line.ts';
import { makeEvent, tempDir } from './helpers.ts';

describe('line protocol', () => {
  it('builds one line per event with sorted tags, typed fields and a ns time from the event id', () => {
    const f = new FieldTypes();
    const e = makeEvent(1, { attributes: { method: 'card', doorNo: 2, confidence: 1, ok: true, id: 'x' }, score: { value: 0.5, threshold: 0.9, model: 'iforest-v1', anomalous: false } });
    const line = eventLine(e, f);
    expect(line).toBe(
      `events,compound=c1,device=dev-1,district=d1,edge=edge-1,kind=access,severity=info,type=granted ` +
        `id="${e.id}",receivedAt=${e.receivedAt}i,score=0.5,scoreThreshold=0.9,scoreModel="iforest-v1",anomalous=false,` +
        `method="card",doorNo=2i,confidence=1,ok=true,attr_id="x" ${nsTime(e.deviceTime, e.id)}`,
    );
    expect(nsTime(e.deviceTime, e.id)).toMatch(new RegExp(`^${e.deviceTime}\\d{6}$`));
  });

  it('keeps one type per attribute: a misfit value goes to <name>_<type>, strings are escaped', () => {
    const f = new FieldTypes();
    expect(f.field('reason', 'no "permission" \\ here')).toBe('reason="no \\"permission\\" \\\\ here"');
    expect(f.field('reason', 7)).toBe('reason="7"'); // a string field takes any value as text
    expect(f.field('zone', 3)).toBe('zone=3i');
    expect(f.field('zone', 2.5)).toBe('zone_float=2.5');
    expect(f.field('zone', 'north')).toBe('zone_string="north"');
    expect(f.field('level', 1)).toBe('level=1i'); // first seen integral → integer from now on
    expect(f.field('level', true)).toBe('level_boolean=true');
    expect(f.takeNew()).toEqual([['reason', 'string'], ['zone_float', 'float'], ['zone_string', 'string'], ['level', 'integer'], ['level_boolean', 'boolean']]);
  });

  it('routes edge-generated health events to device_health', () => {
    const line = eventLine(makeEvent(1, { type: 'offline', attributes: { origin: 'edge' } }), new FieldTypes());
    expect(line.startsWith('device_health,')).toBe(true);
  });
});

describe('batch parsing', () => {
  it('keeps good events and dead-letters each bad part with a reason code', () => {
    const good = makeEvent(1);
    const r = parseBatch(JSON.stringify({ v: 1, edge: 'edge-1', events: [good, { ...good, severity: 'loud' }, makeEvent(2, { edge: 'edge-2' })] }), 'edge-1');
    expect(r.items).toBe(3);
    expect(r.events).toEqual([good]);
    expect(r.deadLetters.map((d) => d.reason)).toEqual(['SS_DL_EVENT_INVALID', 'SS_DL_EDGE_MISMATCH']);
    expect(r.deadLetters[0]!.detail).toMatch(/events\[1\]/);
    expect(parseBatch('[1,2]', 'edge-1').deadLetters[0]!.reason).toBe('SS_DL_ENVELOPE');
    expect(parseBatch('{"v":1,', 'edge-1').deadLetters[0]!.reason).toBe('SS_DL_JSON');
    expect(parseBatch(Buffer.alloc(9 * 1024 * 1024, 32), 'edge-1').deadLetters[0]!.reason).toBe('SS_DL_TOO_LARGE');
    const tooMany = parseBatch(JSON.stringify({ v: 1, edge: 'edge-1', events: Array(1001).fill(good) }), 'edge-1');
    expect(tooMany.deadLetters[0]!.reason).toBe('SS_DL_ENVELOPE');
  });
});

describe('ingest store', () => {
  it('dedupes across commits and restarts, and keeps field types', () => {
    const file = join(tempDir(), 'ingest.db');
    let db = new IngestDb(file);
    const [r1] = db.commit([{ events: [makeEvent(1), makeEvent(2), makeEvent(1)], deadLetters: [] }]);
    expect(r1!.accepted.map((e) => e.id)).toEqual([makeEvent(1).id, makeEvent(2).id]);
    expect(r1!.duplicates).toBe(1);
    db.commit([{ events: [makeEvent(3, { attributes: { level: 1 } })], deadLetters: [] }]);
    let s = db.peek(0, 10)!;
    expect(s.n).toBe(3);
    db.ack(s);
    expect(db.queueDepth()).toBe(0);
    db.close();

    db = new IngestDb(file);
    const [r2] = db.commit([{ events: [makeEvent(2), makeEvent(4, { attributes: { level: 2.5 } })], deadLetters: [] }]);
    expect(r2!.duplicates).toBe(1);
    s = db.peek(0, 10)!;
    // 'level' stayed integer after the restart; the ns part is the event id's (line.ts), not a counter
    const e4 = makeEvent(4, { attributes: { level: 2.5 } });
    expect(s.body.endsWith(`level_float=2.5 ${nsTime(e4.deviceTime, e4.id)}`)).toBe(true);
    db.close();
  });

  it('slices the queue into bounded, contiguous requests and only ack removes them', () => {
    const db = new IngestDb(join(tempDir(), 'ingest.db'));
    for (let b = 0; b < 5; b++) db.commit([{ events: Array.from({ length: 300 }, (_, i) => makeEvent(b * 300 + i)), deadLetters: [] }]);
    expect(db.queueDepth()).toBe(1500);
    const a = db.peek(0, 700)!;
    expect(a.n).toBeLessThanOrEqual(700);
    expect(a.body.split('\n')).toHaveLength(a.n);
    const b = db.peek(a.toId, 700)!;
    expect(b.fromId).toBe(a.toId + 1);
    expect(db.peek(0, 700)!.fromId).toBe(a.fromId); // not acked yet: still there
    db.ack(a);
    db.ack(b);
    expect(db.queueDepth()).toBe(1500 - a.n - b.n);
    db.flushAcks();
    expect(db.peek(0, 700)!.fromId).toBe(b.toId + 1);
    db.close();
  });

  it('forgets ids older than the retention, sweeping in bounded steps', () => {
    let now = 1_000_000;
    const db = new IngestDb(join(tempDir(), 'ingest.db'), () => now);
    db.commit([{ events: Array.from({ length: 10 }, (_, i) => makeEvent(i)), deadLetters: [] }]);
    now = 2_000_000;
    db.commit([{ events: Array.from({ length: 10 }, (_, i) => makeEvent(100 + i)), deadLetters: [] }]);
    let removed = 0;
    for (let k = 0; k < 10; k++) removed += db.pruneSeen(1_500_000, 4);
    expect(removed).toBe(10);
    const [r] = db.commit([{ events: [makeEvent(0), makeEvent(100)], deadLetters: [] }]);
    expect(r!.accepted.map((e) => e.id)).toEqual([makeEvent(0).id]); // old id forgotten, recent one remembered
    db.close();
  });

  it('stores dead letters bounded and lists the newest first', () => {
    const db = new IngestDb(join(tempDir(), 'ingest.db'));
    db.addDeadLetters(Array.from({ length: 20 }, (_, i) => ({ edge: 'edge-1', reason: 'SS_DL_JSON' as const, detail: `n${i}`, raw: '{' })));
    expect(db.deadLetters(3).map((d) => d.detail)).toEqual(['n19', 'n18', 'n17']);
    db.pruneDeadLetters(5);
    expect(db.deadLetterCount()).toBe(5);
    db.close();
  });
});
