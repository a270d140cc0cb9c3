import { afterAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../hub/hub.ts';
import { webPages } from '../../hub/web/plugin.ts';
import { generateCity } from '../../simulators/city.ts';
import { tempDir } from './helpers.ts';

/**
 * The resident-report limit keys on the client address. X-Forwarded-For is believed only from
 * configured proxies: otherwise anyone could send a new address per request and walk past it.
 */
const city = generateCity({ compounds: 1, seed: 9 });
const hubs: Hub[] = [];
afterAll(async () => {
  for (const h of hubs) await h.close();
});

async function hub(trustedProxies?: string[]): Promise<Hub> {
  const h = await startHub({
    dataDir: tempDir(),
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    city,
    edges: [],
    ...(trustedProxies ? { trustedProxies } : {}),
    apiPlugins: [webPages({ tokens: { departments: {}, operators: [] }, reportRateLimit: { limit: 2 } })],
    log: false,
  });
  hubs.push(h);
  return h;
}

const report = (h: Hub, xff: string): Promise<number> =>
  fetch(`${h.apiUrl}/api/compounds/c0001/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
    body: JSON.stringify({ category: 'security', text: 'the back gate does not lock' }),
  }).then((r) => r.status);

describe('resident-report rate limit behind a proxy', () => {
  it('ignores X-Forwarded-For from a client that is not a configured proxy', async () => {
    const h = await hub();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await report(h, `198.51.100.${i + 1}`));
    expect(codes).toEqual([201, 201, 429, 429]);
  });

  it('keys on the client behind a configured proxy (each address its own limit)', async () => {
    const h = await hub(['127.0.0.1']);
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await report(h, `198.51.100.${i + 1}`));
    expect(codes).toEqual([201, 201, 201, 201]);
    expect([await report(h, '198.51.100.9'), await report(h, '198.51.100.9'), await report(h, '198.51.100.9')]).toEqual([201, 201, 429]);
  });
});
