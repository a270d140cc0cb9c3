import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../hub/hub.ts';
import { safetyIndex } from '../../hub/index/wire.ts';
import { consolePlugin, consoleSessions } from '../../hub/web/console/plugin.ts';
import { generateCity } from '../../simulators/city.ts';
import { TOKENS } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ss-console-restart-'));
const city = generateCity({ compounds: 3, seed: 3 });
const tokens = { departments: {}, operators: [TOKENS.operator] };
const hubs: Hub[] = [];

/** The embedded hub as productHub wires the console, on one data folder (a restart reuses it). */
async function hub(): Promise<Hub> {
  const sessions = consoleSessions();
  const index = safetyIndex({ tokens, manual: true, sessions });
  const h = await startHub({
    dataDir: dir, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, city, log: false,
    rating: index.rating, apiPlugins: [...index.apiPlugins, consolePlugin({ tokens, engine: index.engine, sessions })],
  });
  hubs.push(h);
  return h;
}

afterAll(async () => {
  for (const h of hubs) await h.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded console sessions live in state.db', () => {
  it('a login survives a hub restart; a logout after it ends the session', async () => {
    const a = await hub();
    const login = await fetch(`${a.apiUrl}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKENS.operator }) });
    expect(login.status).toBe(200);
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    await a.close();

    const b = await hub();
    const s = await fetch(`${b.apiUrl}/api/console/session`, { headers: { cookie } });
    expect(s.status).toBe(200);
    expect(((await s.json()) as { csrf: string }).csrf).toBe(csrf);
    expect((await fetch(`${b.apiUrl}/api/console/overview`, { headers: { cookie } })).status).toBe(200);
    // A POST without the CSRF header is refused; with it the session ends.
    expect((await fetch(`${b.apiUrl}/api/console/logout`, { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect((await fetch(`${b.apiUrl}/api/console/logout`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': csrf } })).status).toBe(200);
    const after = await fetch(`${b.apiUrl}/api/console/overview`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('SS_WEB_SESSION');
  });
});
