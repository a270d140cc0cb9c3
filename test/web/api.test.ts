import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import QRCode from 'qrcode';
import { postCase, TOKENS, webRig, type WebRig } from './helpers.ts';

let rig: WebRig;
const get = (path: string, token?: string) => fetch(rig.url + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
const post = (path: string, body: unknown, token?: string) =>
  fetch(rig.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

beforeAll(async () => {
  rig = await webRig(40, { reportRateLimit: { limit: 8 } });
});
afterAll(async () => {
  await rig?.close();
});

describe('compound API locations', () => {
  it('adds lat/lon from the registered city to GET /api/compounds and /api/compounds/:id', async () => {
    const list = (await (await get('/api/compounds')).json()) as { id: string; lat: number; lon: number }[];
    expect(list).toHaveLength(40);
    for (const c of rig.city.compounds) {
      const row = list.find((r) => r.id === c.id);
      expect(row).toMatchObject({ lat: c.lat, lon: c.lon });
    }
    const one = (await (await get(`/api/compounds/${rig.city.compounds[3]!.id}`)).json()) as { lat: number; detail: unknown };
    expect(one.lat).toBe(rig.city.compounds[3]!.lat);
    expect(one.detail).toBeTruthy();
    // Error bodies are left alone.
    expect(await (await get('/api/compounds/nope')).json()).not.toHaveProperty('lat');
  });
});

describe('GET /api/map (一图)', () => {
  it('counts every district, draws every compound and lists the lowest with their drivers', async () => {
    const target = rig.city.compounds[5]!;
    expect((await postCase(rig.url, target.id, 'fraud-den', 'map-fraud-1')).status).toBe(201);
    const m = (await (await get('/api/map')).json()) as {
      total: { compounds: number; fiveStar: number; share: number; unrated: number };
      districts: { id: string; name: string; compounds: number; fiveStar: number }[];
      points: { id: string; stars: number; lat: number }[];
      lowest: { id: string; stars: number; reasons: string[] }[];
    };
    expect(m.points).toHaveLength(40);
    expect(m.total.compounds).toBe(40);
    for (const d of rig.city.districts) {
      const row = m.districts.find((x) => x.id === d.id);
      expect(row?.name).toBe(d.name);
      expect(row?.compounds).toBe(rig.city.compounds.filter((c) => c.district === d.id).length);
    }
    const api = (await (await get('/api/compounds')).json()) as { stars: number | null }[];
    expect(m.total.fiveStar).toBe(api.filter((c) => c.stars === 5).length);
    // Unrated compounds are counted apart: the share is of rated ones.
    expect(m.total.unrated).toBe(api.filter((c) => c.stars === null).length);
    expect(m.total.unrated).toBe(2);
    expect(m.total.share).toBeCloseTo(m.total.fiveStar / (40 - m.total.unrated), 6);
    expect(m.lowest[0]?.id).toBe(target.id);
    expect(m.lowest[0]!.stars).toBeLessThan(5);
    expect(m.lowest[0]!.reasons.join(' ')).toContain('fraud den');
  });

  it('filters points and the lowest list by district, keeping every district in the table', async () => {
    const d = rig.city.districts[1]!.id;
    const m = (await (await get(`/api/map?district=${d}`)).json()) as { district: string; districts: unknown[]; points: { district: string }[]; lowest: { district: string }[] };
    expect(m.district).toBe(d);
    expect(m.points.length).toBe(rig.city.compounds.filter((c) => c.district === d).length);
    expect(m.points.every((p) => p.district === d)).toBe(true);
    expect(m.lowest.every((p) => p.district === d)).toBe(true);
    expect(m.districts.length).toBe(rig.city.districts.length);
  });

  it('serves the map page and its assets with a strict CSP', async () => {
    const r = await get('/map');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    const text = await r.text();
    expect(text).toContain('/web/map.js');
    expect(text).not.toMatch(/<script>(?!<\/script>)/); // no inline script
    expect((await get('/web/map.js')).headers.get('content-type')).toContain('javascript');
    expect((await get('/web/../plugin.ts')).status).toBe(404);
  });
});

describe('GET /c/:id (一码)', () => {
  it('shows name, stars and index; a homicide turns it to 0 stars with the veto explained and no case id', async () => {
    const c = rig.city.compounds[0]!;
    let html = await (await get(`/c/${c.id}`)).text();
    expect(html).toContain(c.name);
    expect(html).toMatch(/data-stars="5"/);
    const secretId = 'case-9f3a-secret';
    expect((await postCase(rig.url, c.id, 'homicide', secretId)).status).toBe(201);
    const r = await get(`/c/${c.id}`);
    expect(r.status).toBe(200);
    html = await r.text();
    expect(html).toMatch(/data-stars="0"/);
    expect(html).toContain('一票否决');
    expect(html).toContain('homicide');
    expect(html).not.toContain(secretId);
    const pub = await (await get(`/api/compounds/${c.id}/public`)).json();
    expect(pub).toMatchObject({ stars: 0, veto: { category: 'homicide' } });
    expect(JSON.stringify(pub)).not.toContain(secretId);
    expect(JSON.stringify(pub)).not.toContain('police'); // the department is not shown either
    // The veto lasts the rest of the year in the city's zone (UTC+8) and at least 180 days, to a review on the 1st.
    const local = (ms: number) => new Date(ms + 8 * 3_600_000);
    const now = Date.now();
    const nextYear = local(now).getUTCFullYear() + 1;
    const min = local(now + 180 * 86_400_000);
    const minMonth = `${min.getUTCFullYear()}-${String(min.getUTCMonth() + 1).padStart(2, '0')}`;
    const until = (pub as { veto: { untilMonth: string } }).veto.untilMonth;
    expect(until >= `${nextYear}-01`).toBe(true);
    expect(until > minMonth || (until === minMonth && min.getUTCDate() === 1)).toBe(true);
  });

  it('public JSON carries no case ids, departments or exact case times; the private view and the audit need a token', async () => {
    const c = rig.city.compounds[9]!;
    const secret = 'case-77c1-private';
    const at = new Date(Date.now() - 3 * 3_600_000);
    expect((await postCase(rig.url, c.id, 'burglary', secret, at)).status).toBe(201);
    for (const path of [`/api/compounds/${c.id}`, '/api/compounds', '/api/map', `/api/compounds/${c.id}/public`, `/c/${c.id}`]) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      const text = await r.text();
      expect(text, path).not.toContain(secret);
      // (The plaque page's own words say "police incident"; its data must not name departments.)
      if (path.startsWith('/api/')) expect(text, path).not.toContain('police');
      expect(text, path).not.toContain(at.toISOString());
    }
    const one = (await (await get(`/api/compounds/${c.id}`)).json()) as { stars: number; detail: { reason: string; downgrades: unknown[] } };
    expect(one.detail.reason).toMatch(/burglary/);
    expect(one.detail.downgrades).toEqual([expect.objectContaining({ rule: 'burglary', stars: 1, cases: [expect.objectContaining({ category: 'burglary' })] })]);
    expect((await get(`/api/compounds/${c.id}/detail`)).status).toBe(401);
    expect((await get(`/api/compounds/${c.id}/audit`)).status).toBe(401);
    const priv = await (await get(`/api/compounds/${c.id}/detail`, TOKENS.operator)).json();
    expect(JSON.stringify(priv)).toContain(secret);
    const audit = (await (await get(`/api/compounds/${c.id}/audit`, TOKENS.police)).json()) as { trigger: string; reason: { postedBy?: string } }[];
    expect(audit[0]).toMatchObject({ trigger: `case:${secret}`, reason: { postedBy: 'police' } });
  });

  it('answers an unknown compound with a friendly 404 page, escaping what was typed', async () => {
    const r = await get('/c/%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = await r.text();
    expect(html).toContain('Compound not found');
    expect(html).not.toContain('<script>alert');
    expect((await get('/api/compounds/nope/public')).status).toBe(404);
  });

  it('returns a QR code that encodes the page URL (request host by default)', async () => {
    const id = rig.city.compounds[2]!.id;
    const r = await get(`/api/compounds/${id}/qr.svg`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('image/svg+xml');
    const expected = await QRCode.toString(`${rig.url}/c/${id}`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
    expect(await r.text()).toBe(expected);
    expect((await get('/api/compounds/nope/qr.svg')).status).toBe(404);
  });
});

describe('reports (residents)', () => {
  const id = () => rig.city.compounds[1]!.id;

  it('stores a valid report and lists it for operators only', async () => {
    const text = '楼道灯坏了，晚上很暗 the stairway light is broken';
    const r = await post(`/api/compounds/${id()}/reports`, { category: 'facilities', text });
    expect(r.status).toBe(201);
    const made = (await r.json()) as { id: number };
    expect((await get(`/api/compounds/${id()}/reports`)).status).toBe(401);
    const forbidden = await get(`/api/compounds/${id()}/reports`, TOKENS.police);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'SS_WEB_FORBIDDEN' });
    const list = (await (await get(`/api/compounds/${id()}/reports`, TOKENS.operator)).json()) as { id: number; text: string; category: string }[];
    expect(list.find((x) => x.id === made.id)).toMatchObject({ text, category: 'facilities' });
    // The public page never shows report texts.
    expect(await (await get(`/c/${id()}`)).text()).not.toContain('stairway light');
  });

  it('refuses bad bodies with a coded 400 and stores nothing', async () => {
    const before = ((await (await get(`/api/compounds/${id()}/reports`, TOKENS.operator)).json()) as unknown[]).length;
    for (const body of [
      { category: 'nonsense', text: 'x' },
      { category: 'other', text: '   ' },
      { category: 'other', text: 'x'.repeat(501) },
      { category: 'other', text: 'x', extra: 1 },
      { category: 'other', text: 'bell\u0007' },
      'not an object',
    ]) {
      const r = await post(`/api/compounds/${id()}/reports`, body);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ code: 'SS_WEB_REPORT_INVALID' });
    }
    const after = ((await (await get(`/api/compounds/${id()}/reports`, TOKENS.operator)).json()) as unknown[]).length;
    expect(after).toBe(before);
    expect((await post('/api/compounds/nope/reports', { category: 'other', text: 'x' })).status).toBe(404);
  });

  it('counts the 500-character limit in characters, not bytes', async () => {
    expect((await post(`/api/compounds/${id()}/reports`, { category: 'other', text: '安'.repeat(500) })).status).toBe(201);
  });

  it('rate limits per client address with a coded 429', async () => {
    // 8 per window in this rig; 2 were used above by this address.
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await post(`/api/compounds/${id()}/reports`, { category: 'security', text: `note ${i}` })).status);
    expect(codes.filter((c) => c === 201).length).toBe(6);
    const last = await post(`/api/compounds/${id()}/reports`, { category: 'security', text: 'one more' });
    expect(last.status).toBe(429);
    expect(await last.json()).toMatchObject({ code: 'SS_WEB_RATE_LIMITED' });
  });
});

describe('check-ins (legal officers)', () => {
  it('needs a department token, validates the activity and shows counts (no names) on the page', async () => {
    const id = rig.city.compounds[4]!.id;
    const body = { officer: 'badge 35021', activity: 'mediation' };
    expect((await post(`/api/compounds/${id}/checkins`, body)).status).toBe(401);
    expect((await post(`/api/compounds/${id}/checkins`, body, TOKENS.operator)).status).toBe(403);
    const bad = await post(`/api/compounds/${id}/checkins`, { officer: 'x', activity: 'karaoke' }, TOKENS.court);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'SS_WEB_CHECKIN_INVALID' });
    const ok = await post(`/api/compounds/${id}/checkins`, body, TOKENS.court);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ department: 'court', activity: 'mediation', officer: 'badge 35021' });
    expect((await post(`/api/compounds/${id}/checkins`, { officer: 'badge 35022', activity: 'legal-publicity' }, TOKENS.police)).status).toBe(201);
    const list = (await (await get(`/api/compounds/${id}/checkins`, TOKENS.operator)).json()) as unknown[];
    expect(list).toHaveLength(2);
    const html = await (await get(`/c/${id}`)).text();
    expect(html).toMatch(/data-testid="checkins">2 visits/);
    expect(html).not.toContain('35021');
  });
});
