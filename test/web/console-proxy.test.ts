import { afterAll, describe, expect, it } from 'vitest';
import { TOKENS, webRig, type WebRig } from './helpers.ts';

const rigs: WebRig[] = [];

async function hubBehind(trustedProxies: string[]): Promise<string> {
  const rig = await webRig(3, {}, { trustedProxies });
  rigs.push(rig);
  return rig.url;
}

async function loginCookie(url: string, headers: Record<string, string>): Promise<string> {
  const r = await fetch(`${url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token: TOKENS.operator }) });
  expect(r.status).toBe(200);
  return r.headers.get('set-cookie') ?? '';
}

afterAll(async () => {
  for (const r of rigs) await r.close();
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
