import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPasswordSync } from '../../common/password.ts';
import { startEdge } from '../../edge/edge.ts';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { createDeadLetterSeal } from '../../edge/pipeline/deadletter-seal.ts';
import { API_TOKEN, PASSWORD, connectDevice, deadLetters, device, publish, siteConfig, startHubStandIn, tempDir, topicOf } from './helpers.ts';

/** Issue 12: dead letters keep no personal data in the clear, and /deadletters needs a token. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const SECRET = 'test-secret-0123456789'; // helpers' siteConfig privacySecret
const door = device('a1', { kind: 'access', profile: 'hik-access' });
// An event code the profile does not map: dead-lettered with the card number and name inside.
const unknownCode = JSON.stringify({
  ipAddress: '10.20.1.17', dateTime: new Date().toISOString(), eventType: 'AccessControllerEvent',
  AccessControllerEvent: { majorEventType: 9, subEventType: 99, cardNo: '3102837465', name: 'Zhang San', serialNo: 7 },
});

describe('dead letters', () => {
  it('keep a masked preview and the payload sealed with the site key; /deadletters needs the token', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const edge = await startEdge(siteConfig(t.dir, hub.url, [door]));
    const c = await connectDevice(edge.brokerUrl, { clientId: 'a1', username: 'a1', password: PASSWORD });
    await publish(c, topicOf(door), unknownCode);
    await edge.drain(5000);
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: API_TOKEN }] as Record<string, string>[]) {
      const r = await fetch(`${edge.apiUrl}/deadletters`, { headers });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { code: string }).code).toBe('SS_API_TOKEN');
    }
    const [dl] = (await deadLetters(edge.apiUrl)) as { code: string; payloadMasked: string; payloadSealed: string; size: number }[];
    expect(dl?.code).toBe('SS_CODEC_UNKNOWN_CODE');
    expect(dl?.size).toBe(Buffer.byteLength(unknownCode));
    expect(dl?.payloadMasked).toContain('"cardNo":"0000000000","name":"xxxxx xxx"');
    expect(JSON.stringify(dl)).not.toMatch(/3102837465|Zhang/);
    // Whoever holds the site key can still read what the device sent.
    expect(createDeadLetterSeal(SECRET).open(Buffer.from(dl!.payloadSealed, 'base64')).toString()).toBe(unknownCode);
    c.end(true);
    await edge.close();
    // Nor in the outbox file.
    const db = readFileSync(join(t.dir, 'outbox.sqlite'));
    expect(db.includes(Buffer.from('3102837465'))).toBe(false);
  });

  it('without api.tokenHash, /deadletters refuses everyone', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const cfg = siteConfig(t.dir, 'mqtt://127.0.0.1:1', [door]);
    const edge = await startEdge({ ...cfg, api: { host: '127.0.0.1', port: 0 } }, { uplinkReconnectMs: 60_000 });
    cleanups.push(() => edge.close());
    const r = await fetch(`${edge.apiUrl}/deadletters`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(r.status).toBe(401);
  });

  it('seals the raw dead letters an older outbox kept, once, when it is opened', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'outbox.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE deadletters (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, device TEXT NOT NULL, topic TEXT NOT NULL,
      code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL)`);
    old.prepare('INSERT INTO deadletters (at, device, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)').run(1, 'a1', 't', 'SS_CODEC_JSON', 'r', Buffer.from(unknownCode));
    old.close();
    const seal = createDeadLetterSeal(SECRET);
    const o = new Outbox(file, { maxEvents: 100, deadLetterSeal: seal });
    const [dl] = o.deadLetters();
    o.close();
    expect(dl?.payloadMasked).toContain('"cardNo":"0000000000"');
    expect(seal.open(Buffer.from(dl!.payloadSealed, 'base64')).toString()).toBe(unknownCode);
    expect(dl?.size).toBe(Buffer.byteLength(unknownCode));
  });

  it('`safestar edge token` prints a token and the hash for api.tokenHash', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'safestar.js'), 'edge', 'token'], { encoding: 'utf8' });
    const { token, tokenHash } = JSON.parse(out) as { token: string; tokenHash: string };
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(verifyPasswordSync(token, tokenHash)).toBe(true);
  });
});
