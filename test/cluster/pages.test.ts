import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLiveChanges, LIVE_SUBJECT_PREFIX } from '../../hub/cluster/live.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { starsText } from '../../hub/web/html.ts';
import type { City } from '../../protocol/city.ts';
import { TOKENS, webRig, type WebRig } from '../web/helpers.ts';
import { startApiRig, type ApiRig } from './api-rig.ts';
import { until } from './helpers.ts';

/** A fixed instant: the test never depends on today's date. */
const C0 = Date.UTC(2027, 2, 10, 4, 0, 0);
const DAY = 86_400_000;
const OFFICER = 'justice-officer-token-0123';
const tokens = { departments: { police: [TOKENS.police], court: [TOKENS.court] }, officers: { justice: [OFFICER] }, operators: [TOKENS.operator] };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ids = Array.from({ length: 8 }, (_, i) => `pg${i}`);
const city = {
  v: 1, seed: 1, name: 'Pages', districts: [{ id: 'd0', name: '思明 Siming' }, { id: 'd1', name: '湖里 Huli' }],
  compounds: ids.map((id, i) => ({ id, name: `Compound ${id}`, district: `d${i % 2}`, households: 300, lat: 24.45 + i / 200, lon: 118.08 + (i % 3) / 200, devices: [{ id: `${id}-gate`, kind: 'barrier', profile: null, heartbeatSeconds: 86_400 }] })),
} as unknown as City;

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A server-sent-events client over fetch: collects the events until closed. */
async function sse(url: string): Promise<{ status: number; events: SseEvent[]; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const events: SseEvent[] = [];
  if (res.body) {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch {
        /* aborted */
      }
    })();
  }
  return { status: res.status, events, close: () => ac.abort() };
}

/**
 * The public pages in cluster mode: hub/web's routes served by every worker over PostgreSQL and
 * NATS (real 3-node NATS, real PostgreSQL, two workers each on its own NATS server): the stars
 * come from the owners' rows, a check-in or a report taken by one worker shows on the other, the
 * refusals are the embedded hub's, and a rating change the owner commits reaches a live page
 * connected to the other worker.
 */
describe('cluster mode: the public pages (/map, /c/:id, reports, check-ins, the live stream) on every worker', () => {
  let rig: ApiRig;
  let embedded: WebRig;
  const policy = defaultPolicy();
  const stars = async (id: string): Promise<number | null> => (await rig.pool.query<{ stars: number | null }>('SELECT stars FROM compound_ratings WHERE compound = $1', [id])).rows[0]?.stars ?? null;
  const call = (url: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> =>
    fetch(`${url}${path}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const postCase = (url: string, compound: string, category: string, id: string): Promise<Response> =>
    call(url, 'POST', '/api/cases', TOKENS.police, { id, department: 'police', category, compound, occurredAt: C0 - DAY, registeredAt: C0 - DAY, status: 'registered' });
  /** A compound not in `skip`, with its owner's index (its changes are committed there) and the other worker's. */
  const pick = (skip: readonly string[] = []): { id: string; owner: number; other: number } => {
    const id = ids.find((x) => !skip.includes(x))!;
    const owner = rig.ownerIdx(id);
    return { id, owner, other: 1 - owner };
  };

  beforeAll(async () => {
    [rig, embedded] = await Promise.all([
      startApiRig({ prefix: 'ss_pages', city, policy, tokens, now: () => C0, web: { reportRateLimit: { limit: 3 } }, trustedProxies: ['127.0.0.1'] }),
      webRig(6, { reportRateLimit: { limit: 3 } }),
    ]);
    // Residents' surveys rate every compound (devices not heard yet pass, as on the embedded hub).
    for (const id of ids) expect((await call(rig.urls[0]!, 'PUT', `/api/compounds/${id}/survey`, TOKENS.operator, { satisfaction: 0.97 })).status).toBe(200);
    await until(async () => Number((await rig.pool.query('SELECT count(*)::int AS n FROM compound_ratings WHERE stars IS NOT NULL')).rows[0].n) === ids.length, 30_000, 'every compound rated');
    expect(ids.some((id) => rig.ownerIdx(id) === 0) && ids.some((id) => rig.ownerIdx(id) === 1)).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await rig?.close();
    await embedded?.close();
  });

  it('/map, its scripts and layers, /c/:id and the QR code on either worker, with the stars PostgreSQL holds and the pages\u2019 security headers', async () => {
    for (const url of rig.urls) {
      const map = await fetch(`${url}/map`);
      expect(map.status).toBe(200);
      expect(map.headers.get('content-type')).toContain('text/html');
      expect(map.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(map.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await map.text()).toContain('/web/map.js');
      for (const f of ['/web/map.js', '/web/compound.js', '/web/style.css', '/web/leaflet/leaflet.js', '/web/leaflet/leaflet.css']) expect((await fetch(`${url}${f}`)).status, f).toBe(200);
      const layers = (await (await fetch(`${url}/api/map/layers`)).json()) as { basemap: unknown; districts: { features: Array<{ properties: { name?: string } }> } };
      expect(layers.basemap).toBeNull();
      expect(layers.districts.features.map((f) => f.properties.name)).toEqual(expect.arrayContaining(['思明 Siming', '湖里 Huli']));
      const points = ((await (await fetch(`${url}/api/map`)).json()) as { points: Array<{ id: string; stars: number | null }> }).points;
      expect(points.map((p) => p.id).sort()).toEqual(ids);
      for (const p of points) expect(p.stars).toBe(await stars(p.id));
      for (const id of ids.slice(0, 3)) {
        const page = await fetch(`${url}/c/${id}`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
        const html = await page.text();
        const s = (await stars(id))!;
        expect(html).toContain(`data-stars="${s}"`);
        expect(html).toContain(starsText(s));
        expect(html).toContain(id.endsWith('0') || id.endsWith('2') ? '思明 Siming' : '湖里 Huli');
      }
      const qr = await fetch(`${url}/api/compounds/${ids[0]}/qr.svg`);
      expect([qr.status, qr.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
      expect(await qr.text()).toContain('<svg');
      expect((await fetch(`${url}/c/no-such-compound`)).status).toBe(404);
    }
  });

  it('a check-in taken by one worker is counted on the other worker\u2019s page and listed there for operators; the public view names nobody', async () => {
    const id = ids[1]!;
    const [a, b] = rig.urls as [string, string];
    const r = await call(a, 'POST', `/api/compounds/${id}/checkins`, OFFICER, { officer: 'badge 3301', activity: 'mediation' });
    expect(r.status).toBe(201);
    // The department is the token's, never the body's.
    expect(await r.json()).toMatchObject({ compound: id, department: 'justice', officer: 'badge 3301', activity: 'mediation', at: new Date(C0).toISOString() });
    expect((await call(b, 'POST', `/api/compounds/${id}/checkins`, TOKENS.police, { officer: 'Officer Lin', activity: 'legal-publicity' })).status).toBe(201);
    const pub = await (await fetch(`${b}/api/compounds/${id}/public`)).json() as { checkins: Record<string, number> };
    expect(pub.checkins).toEqual({ mediation: 1, 'legal-publicity': 1 });
    expect(JSON.stringify(pub)).not.toMatch(/badge 3301|Officer Lin|justice/);
    const html = await (await fetch(`${a}/c/${id}`)).text();
    expect(html).toMatch(/data-testid="checkins">2 visits/);
    expect(html).not.toMatch(/badge 3301|Officer Lin/);
    const list = (await (await call(b, 'GET', `/api/compounds/${id}/checkins`, TOKENS.operator)).json()) as Array<{ officer: string; department: string }>;
    expect(list.map((c) => [c.officer, c.department])).toEqual([['Officer Lin', 'police'], ['badge 3301', 'justice']]);
  });

  it('a resident\u2019s report taken by one worker is listed on the other for operators, limited per address like the embedded hub', async () => {
    const id = ids[2]!;
    const [a, b] = rig.urls as [string, string];
    const text = 'The back gate lock is broken 后门锁坏了';
    const r = await call(a, 'POST', `/api/compounds/${id}/reports`, undefined, { category: 'facilities', text });
    expect(r.status).toBe(201);
    const listed = (await (await call(b, 'GET', `/api/compounds/${id}/reports`, TOKENS.operator)).json()) as Array<{ text: string; category: string }>;
    expect(listed).toEqual([expect.objectContaining({ text, category: 'facilities' })]);
    // Not on the public view or page.
    expect(JSON.stringify(await (await fetch(`${b}/api/compounds/${id}/public`)).json())).not.toContain('back gate');
    expect(await (await fetch(`${b}/c/${id}`)).text()).not.toContain('back gate');
    // Limit 3 per address per window on this worker: two more pass, the fourth is refused.
    for (let i = 0; i < 2; i++) expect((await call(a, 'POST', `/api/compounds/${id}/reports`, undefined, { category: 'other', text: `note ${i}` })).status).toBe(201);
    const over = await call(a, 'POST', `/api/compounds/${id}/reports`, undefined, { category: 'other', text: 'one too many' });
    expect([over.status, ((await over.json()) as { code: string }).code]).toEqual([429, 'SS_WEB_RATE_LIMITED']);
    expect(Number((await rig.pool.query('SELECT count(*)::int AS n FROM web_reports WHERE compound = $1', [id])).rows[0].n)).toBe(3);
  });

  it('behind a configured proxy (--trusted-proxy) the limit is per client address, as on the embedded hub', async () => {
    const id = ids[5]!;
    const post = (from: string): Promise<Response> =>
      fetch(`${rig.urls[1]}/api/compounds/${id}/reports`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify({ category: 'other', text: `from ${from}` }) });
    for (let i = 0; i < 3; i++) expect((await post('10.1.0.7')).status).toBe(201);
    expect((await post('10.1.0.7')).status).toBe(429);
    expect((await post('10.1.0.8')).status).toBe(201);
  });

  it('refuses exactly what the embedded hub refuses, with the same status and code', async () => {
    const on = async (url: string, id: string): Promise<Array<[number, string]>> => {
      const probes: Array<[string, string, string | undefined, unknown]> = [
        ['POST', `/api/compounds/${id}/checkins`, undefined, { officer: 'badge 1', activity: 'service' }],
        ['POST', `/api/compounds/${id}/checkins`, 'not-a-known-token-000000', { officer: 'badge 1', activity: 'service' }],
        ['POST', `/api/compounds/${id}/checkins`, TOKENS.operator, { officer: 'badge 1', activity: 'service' }],
        ['POST', `/api/compounds/${id}/checkins`, TOKENS.court, { officer: 'badge 1', activity: 'karaoke' }],
        ['POST', '/api/compounds/no-such-compound/checkins', TOKENS.court, { officer: 'badge 1', activity: 'service' }],
        ['GET', `/api/compounds/${id}/checkins`, undefined, undefined],
        ['GET', `/api/compounds/${id}/checkins`, TOKENS.police, undefined],
        ['GET', `/api/compounds/${id}/reports`, TOKENS.court, undefined],
        ['POST', `/api/compounds/${id}/reports`, undefined, { category: 'gossip', text: 'x' }],
        ['POST', `/api/compounds/${id}/reports`, undefined, { category: 'other', text: '   ' }],
        ['POST', '/api/compounds/no-such-compound/reports', undefined, { category: 'other', text: 'hello' }],
        ['GET', '/api/compounds/no-such-compound/public', undefined, undefined],
        ['GET', '/api/compounds/no-such-compound/events', undefined, undefined],
      ];
      const out: Array<[number, string]> = [];
      for (const [method, path, token, body] of probes) {
        const r = await call(url, method, path, token, body);
        out.push([r.status, ((await r.json()) as { code: string }).code]);
      }
      return out;
    };
    const want = await on(embedded.url, embedded.city.compounds[0]!.id);
    expect(want.map(([s]) => s)).toEqual([401, 401, 403, 400, 404, 401, 403, 403, 400, 400, 404, 404, 404]);
    for (const url of rig.urls) expect(await on(url, ids[3]!)).toEqual(want);
    expect(Number((await rig.pool.query('SELECT count(*)::int AS n FROM web_checkins WHERE compound = $1', [ids[3]])).rows[0].n)).toBe(0);
  });

  it('a rating change committed by the owner on worker A reaches a live page connected to worker B', async () => {
    const { id, owner, other } = pick(['pg0', 'pg1', 'pg2', 'pg3']);
    const before = await stars(id);
    expect(before).toBeGreaterThan(0);
    const live = await sse(`${rig.urls[other]}/api/compounds/${id}/events`);
    try {
      expect(live.status).toBe(200);
      await until(() => live.events.some((e) => e.event === 'hello'), 10_000, 'the stream greeting');
      const announced = rig.workers[owner]!.stats.live;
      expect((await postCase(rig.urls[other]!, id, 'homicide', 'pages-homicide-1')).status).toBe(201);
      await until(() => live.events.some((e) => e.event === 'compound' && e.data['stars'] === 0), 15_000, 'the live update on worker B');
      const ev = live.events.find((e) => e.event === 'compound')!;
      expect(await stars(id)).toBe(0);
      expect(ev.data).toMatchObject({ id, stars: 0, districtName: expect.any(String) });
      expect(String(ev.data['html'])).toContain('data-stars="0"');
      // Public fields only: no case id, no department.
      expect(JSON.stringify(ev.data)).not.toMatch(/pages-homicide-1|"department"|"police"/);
      // The owner (A) applied and announced it; B only served the stream.
      expect(rig.workers[owner]!.stats.live).toBeGreaterThan(announced);
      expect(rig.workers[other]!.stats.cases).toBe(0);
    } finally {
      live.close();
    }
  });

  it('a worker ignores and counts what is not a compound change on ss.live.>', async () => {
    const feed = new NatsLiveChanges(rig.ncs[1]!);
    const seen: string[] = [];
    const off = feed.on((c) => seen.push(c.compound));
    try {
      // On the subscriber's own connection, after a flush: the server has the subscription before
      // the messages (another server of the cluster would learn of it a moment later).
      const nc = rig.ncs[1]!;
      await nc.flush();
      nc.publish(`${LIVE_SUBJECT_PREFIX}.x`, 'not json');
      nc.publish(`${LIVE_SUBJECT_PREFIX}.x`, JSON.stringify({ v: 1, type: 'rating', compound: 'bad id with spaces' }));
      nc.publish(`${LIVE_SUBJECT_PREFIX}.pg7`, JSON.stringify({ v: 1, type: 'alarm', compound: 'pg7' }));
      await until(() => feed.stats.bad >= 2 && seen.includes('pg7'), 10_000, 'the three messages');
      expect(feed.stats.bad).toBe(2);
      // Owners may announce real changes meanwhile; none of the bad ones got through.
      expect(seen.every((c) => ids.includes(c))).toBe(true);
    } finally {
      off();
      feed.close();
    }
  });

  it('in a real browser: /c/:id from worker B shows the stars and updates live when the owner on A commits a change', async () => {
    // Not the compound vetoed above (pg4), and one owned by the worker the browser does not talk to.
    const { id, owner, other } = pick(['pg0', 'pg1', 'pg2', 'pg3', 'pg4']);
    const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
      const problems: string[] = [];
      // Blocked by the CSP or failed: a script, a style sheet, the stream (the browser asks for /favicon.ico by itself; there is none).
      page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && problems.push(m.text()));
      page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${rig.urls[other]}/c/${id}`);
      const s = (await stars(id))!;
      expect(await page.locator('[data-testid=stars]').getAttribute('data-stars')).toBe(String(s));
      await page.waitForSelector('#live.on');
      expect((await postCase(rig.urls[owner]!, id, 'fraud-den', 'pages-fraud-den-1')).status).toBe(201);
      await page.waitForSelector('body[data-updates]', { timeout: 15_000 });
      const after = (await stars(id))!;
      expect(after).toBeLessThan(s);
      await expect.poll(() => page.locator('[data-testid=stars]').getAttribute('data-stars'), { timeout: 5000 }).toBe(String(after));
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
