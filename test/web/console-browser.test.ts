import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Event } from '../../protocol/event.ts';
import { postCase, TOKENS, webRig, type WebRig } from './helpers.ts';
import { inViewport, shot, type ShotCheck } from './shots.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let rig: WebRig;
let browser: Browser;
let seq = 0;

/** A device alarm as the hub's ingest hands it to the engine (after parse and dedupe). */
function alarm(compoundIndex: number, type: 'fence-alarm' | 'door-forced', minutesAgo = 0, score?: Event['score']): string {
  const c = rig.city.compounds[compoundIndex]!;
  const id = `test-alarm-${++seq}`;
  const at = Date.now() - minutesAgo * 60_000;
  const e = { v: 1, id, deviceTime: at, receivedAt: at, district: c.district, compound: c.id, edge: 'edge-test', device: c.devices[0]!.id, kind: c.devices[0]!.kind, type, severity: 'critical', attributes: {}, ...(score ? { score } : {}) } as unknown as Event;
  rig.engine()!.onEvents([e]);
  return id;
}

const bearer = { authorization: `Bearer ${TOKENS.operator}` };
const alarmsWith = async (status: string): Promise<{ id: string; status: string }[]> =>
  (await (await fetch(`${rig.url}/api/alarms?status=${status}`, { headers: bearer })).json()) as { id: string; status: string }[];

function expectGoodShot(s: ShotCheck): void {
  expect(s.colours, `${s.file}: colours`).toBeGreaterThan(12);
  expect(s.dominant, `${s.file}: one colour covers the shot`).toBeLessThan(0.97);
  expect(s.overflowX, `${s.file}: wider than the viewport`).toBeLessThanOrEqual(0);
}

async function login(ctx: BrowserContext): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${rig.url}/`);
  // No session: the console sends the browser to the login page.
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#token', TOKENS.operator);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`${rig.url}/`);
  await page.waitForSelector('body[data-loaded]');
  return page;
}

beforeAll(async () => {
  rig = await webRig(24);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

describe('console routes without a session', () => {
  it('answer 401 with a code, and the page redirects to /login', async () => {
    for (const path of ['/api/console/overview', '/api/console/alarms', '/api/console/infrastructure', '/api/console/deadletters', '/api/console/audit', '/api/console/events', '/api/console/session']) {
      const r = await fetch(`${rig.url}${path}`);
      expect(r.status, path).toBe(401);
      expect(((await r.json()) as { code: string }).code, path).toBe('SS_WEB_SESSION');
    }
    const forged = await fetch(`${rig.url}/api/console/events`, { headers: { cookie: 'ss_console=forged-session-id-0123456789' } });
    expect(forged.status).toBe(401);
    const home = await fetch(`${rig.url}/`, { redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/login');
    // A department token is a token, but not an operator's: no console.
    const police = await fetch(`${rig.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKENS.police }) });
    expect(police.status).toBe(401);
    expect(((await police.json()) as { code: string }).code).toBe('SS_WEB_LOGIN_INVALID');
  });

  it('a session cookie alone cannot confirm an alarm (CSRF header required); with it, it can', async () => {
    const id = alarm(1, 'fence-alarm');
    const r = await fetch(`${rig.url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKENS.operator }) });
    expect(r.status).toBe(200);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKENS.operator);
    const { csrf } = (await r.json()) as { csrf: string };
    const cookie = setCookie.split(';')[0]!;
    const bare = await fetch(`${rig.url}/api/alarms/${id}/dismiss`, { method: 'POST', headers: { cookie } });
    expect(bare.status).toBe(401);
    const wrong = await fetch(`${rig.url}/api/alarms/${id}/dismiss`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': 'x'.repeat(csrf.length) } });
    expect(wrong.status).toBe(401);
    expect((await alarmsWith('pending')).some((a) => a.id === id)).toBe(true);
    const ok = await fetch(`${rig.url}/api/alarms/${id}/dismiss`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': csrf } });
    expect(ok.status).toBe(200);
    expect((await alarmsWith('dismissed')).some((a) => a.id === id)).toBe(true);
    // Logged out, the same cookie is worth nothing.
    expect((await fetch(`${rig.url}/api/console/logout`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': csrf } })).status).toBe(200);
    expect((await fetch(`${rig.url}/api/console/overview`, { headers: { cookie } })).status).toBe(401);
  });
});

describe('the operator console in Chromium', () => {
  it('logs in, shows the city and the alarm queue with evidence, and confirms an alarm (desktop)', async () => {
    const related = alarm(0, 'fence-alarm', 5);
    const id = alarm(0, 'door-forced', 1, { value: 0.93, threshold: 0.8, model: 'kt-2.0.0', anomalous: true });
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await login(ctx);
    expect(await page.locator('#glance-table tbody tr').count()).toBe(rig.city.districts.length);
    const item = page.locator(`li.alarm[data-alarm-id="${id}"]`);
    await item.waitFor();
    // The evidence: the fence alarm 4 minutes earlier at the same compound is named beside it.
    expect(await item.innerText()).toContain('fence-alarm');
    expect(await item.locator('.evidence').innerText()).toMatch(/Within 30 min at this compound/);
    // The edge's anomaly score of the alarm's event, with its threshold and model.
    expect(await item.locator('.evidence').innerText()).toContain('Anomaly score 0.93 (threshold 0.80, kt-2.0.0): unusual for this device');
    expectGoodShot(await shot(page, 'console'));
    expect(await inViewport(page, 'h1')).toBe(true);
    await item.locator('button[data-action=confirm]').click();
    await expect.poll(() => item.getAttribute('data-status')).toBe('confirmed');
    // The state really changed at the hub, through the same route the API uses.
    expect((await alarmsWith('confirmed')).some((a) => a.id === id)).toBe(true);
    expect((await alarmsWith('pending')).some((a) => a.id === related)).toBe(true);

    // Live: a new alarm appears in the open console without a reload.
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 1));
    await expect.poll(() => page.locator('#live').getAttribute('class')).toContain('on');
    const fresh = alarm(2, 'fence-alarm');
    await page.locator(`li.alarm[data-alarm-id="${fresh}"]`).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).toBe(1);
    await ctx.close();
  });

  it('fits a phone (390×844): no horizontal overflow, the queue and its buttons on screen', async () => {
    alarm(3, 'fence-alarm');
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await login(ctx);
    await page.locator('li.alarm[data-status=pending]').first().waitFor();
    expectGoodShot(await shot(page, 'console'));
    expect(await inViewport(page, 'h1')).toBe(true);
    // Every star column of the city at a glance fits the phone (none hidden, none scrolled off).
    for (let col = 1; col <= 8; col++) expect(await inViewport(page, `#glance-table thead th:nth-child(${col})`), `glance column ${col}`).toBe(true);
    expect(await inViewport(page, 'li.alarm[data-status=pending] button[data-action=confirm]')).toBe(true);
    // Wide tables scroll inside their card (.scroll); the card itself fits.
    expect(await inViewport(page, '#audit h2')).toBe(true);
    expect(await inViewport(page, '#infra-summary')).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await ctx.close();
  });
});

describe('the compound page updates itself over SSE', () => {
  it('shows the downgrade from a case posted through the API, without a reload, and no case id', async () => {
    const rows = (await (await fetch(`${rig.url}/api/compounds`)).json()) as { id: string; stars: number | null }[];
    const target = rows.find((r) => r.stars === 5)!;
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true });
    const page = await ctx.newPage();
    await page.goto(`${rig.url}/c/${target.id}`);
    expect(await page.locator('[data-testid=stars]').getAttribute('data-stars')).toBe('5');
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 1));
    await expect.poll(() => page.locator('#live').getAttribute('class')).toContain('on');
    const caseId = `sse-case-${Date.now()}`;
    expect((await postCase(rig.url, target.id, 'burglary', caseId)).status).toBe(201);
    await expect.poll(() => page.locator('[data-testid=stars]').getAttribute('data-stars'), { timeout: 10_000 }).toBe('4');
    expect(await page.locator('[data-testid=downgrade]').innerText()).toContain('burglary');
    expect(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).toBe(1);
    expect(Number(await page.evaluate(() => document.body.dataset['updates']))).toBeGreaterThanOrEqual(1);
    // Public fields only: the case's id and the department never reach the page.
    expect(await page.content()).not.toContain(caseId);
    const live = await page.locator('#live-region').innerHTML();
    expect(live).not.toMatch(/department|postedBy|registered/i);
    expectGoodShot(await shot(page, 'compound'));
    await ctx.close();
  });
});

describe('the map with Leaflet', () => {
  for (const vp of [DESKTOP, PHONE]) {
    it(`renders district areas, boundaries and every placed compound at ${vp.width}×${vp.height}; labels sit on no dot`, async () => {
      const ctx = await browser.newContext({ viewport: vp });
      const page = await ctx.newPage();
      await page.goto(`${rig.url}/map`);
      await page.waitForSelector('body[data-loaded]');
      expect(await page.locator('#map.leaflet-container').count()).toBe(1);
      expect(await page.evaluate(() => document.body.dataset['basemap'])).toBe('offline');
      expect(await page.locator('path.darea').count()).toBe(rig.city.districts.length);
      expect(await page.locator('path.dboundary').count()).toBeGreaterThan(0);
      expect(await page.locator('.leaflet-overlay-pane path.pt').count()).toBe(rig.city.compounds.length);
      const labels = await page.locator('.dlabel-text').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
      const dots = await page.locator('path.pt').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
      expect(labels.length).toBe(rig.city.districts.length);
      for (const l of labels) {
        for (const d of dots) {
          const overlap = l.left < d.right && d.left < l.right && l.top < d.bottom && d.top < l.bottom;
          expect(overlap, `label at ${l.left},${l.top} over a dot at ${d.left},${d.top}`).toBe(false);
        }
      }
      expect(await page.locator('#updated').innerText()).toMatch(/\d\d:\d\d:\d\d \(Beijing time\)/);
      expect(await inViewport(page, '#map')).toBe(true);
      expectGoodShot(await shot(page, 'map'));
      await ctx.close();
    });
  }
});
