import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../hub/hub.ts';
import { safetyIndex } from '../../hub/index/wire.ts';
import { consolePlugin, consoleSessions } from '../../hub/web/console/plugin.ts';
import { generateCity } from '../../simulators/city.ts';
import { TOKENS } from './helpers.ts';

const tokens = { departments: { police: [TOKENS.police] }, operators: [TOKENS.operator] };
const dirs: string[] = [];
const hubs: Hub[] = [];

async function hubBehind(trustedProxies: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-proxy-'));
  dirs.push(dir);
  const city = generateCity({ compounds: 3, seed: 7 });
  const sessions = consoleSessions();
  const index = safetyIndex({ tokens, manual: true, sessions });
  const hub = await startHub({
    dataDir: dir,
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    city,
    log: false,
    rating: index.rating,
    trustedProxies,
    apiPlugins: [...index.apiPlugins, consolePlugin({ tokens, districts: city.districts, engine: index.engine, sessions })],
  });
  hubs.push(hub);
  return hub.apiUrl;
}

async function loginCookie(url: string, headers: Record<string, string>): Promise<string> {
  const r = await fetch(`${url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token: TOKENS.operator }) });
  expect(r.status).toBe(200);
  return r.headers.get('set-cookie') ?? '';
}

afterAll(async () => {
  for (const h of hubs) await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('console session cookie behind a TLS-terminating proxy', () => {
  it('is Secure when a trusted proxy says the browser used https, and only then', async () => {
    const url = await hubBehind(['127.0.0.1']);
    expect(await loginCookie(url, { 'x-forwarded-proto': 'https' })).toMatch(/; Secure$/);
    // Plain http through the same proxy (a dev set-up): a Secure cookie would never come back.
    expect(await loginCookie(url, {})).not.toMatch(/Secure/);
    expect(await loginCookie(url, {})).toMatch(/^ss_console=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  });

  it('ignores X-Forwarded-Proto from a caller that is not a trusted proxy', async () => {
    const url = await hubBehind([]);
    expect(await loginCookie(url, { 'x-forwarded-proto': 'https' })).not.toMatch(/Secure/);
  });
});
