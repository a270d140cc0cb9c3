import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { postCase, TOKENS, webRig, type WebRig } from './helpers.ts';

/** Real Debian chromium, headless, a fresh profile (playwright makes a new empty user-data dir). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Set SAFESTAR_SHOTS=/some/dir to keep screenshots for a look (not needed for the assertions). */
const SHOTS = process.env['SAFESTAR_SHOTS'];

let rig: WebRig;
let browser: Browser;
let page: Page;
type Row = { id: string; district: string; stars: number | null; index: number };
const compounds = async (): Promise<Row[]> => (await (await fetch(`${rig.url}/api/compounds`)).json()) as Row[];
const shot = async (name: string, width: number, height: number): Promise<void> => {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width, height });
  await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
};

beforeAll(async () => {
  rig = await webRig(60);
  // A spread of stars: downgrades by case nature (fraud den −2★, burglary −1★, vice −1★) and disputes.
  const cs = rig.city.compounds;
  let n = 0;
  const seed: [number, string][] = [[3, 'fraud-den'], [7, 'burglary'], [11, 'burglary'], [11, 'burglary'], [15, 'drugs'], [19, 'fraud-den'], [19, 'burglary'], [23, 'assault'], [23, 'assault']];
  for (let i = 25; i < 40; i++) for (let k = 0; k < 6; k++) seed.push([i, k % 2 ? 'family-dispute' : 'fraud-victim']);
  for (const [i, category] of seed) expect((await postCase(rig.url, cs[i]!.id, category, `seed-${++n}`)).status).toBe(201);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

describe('一图 /map in a real browser', () => {
  it('draws every compound coloured by its stars, with counts, and filters a district', async () => {
    await page.goto(`${rig.url}/map`);
    await page.waitForSelector('body[data-loaded]');
    const rows = await compounds();
    expect(await page.locator('.leaflet-overlay-pane path.pt').count()).toBe(rows.length);
    for (let s = 0; s <= 5; s++) {
      expect(await page.locator(`.leaflet-overlay-pane path.pt.s${s}`).count(), `${s}-star points`).toBe(rows.filter((r) => r.stars === s).length);
    }
    expect(rows.some((r) => r.stars !== null && r.stars < 5)).toBe(true);
    // Unrated compounds (no data) are drawn apart, never as a star level.
    const unrated = rows.filter((r) => r.stars === null).length;
    expect(unrated).toBe(2);
    expect(await page.locator('.leaflet-overlay-pane path.pt.unrated').count()).toBe(unrated);
    expect(await page.locator('#summary').getAttribute('data-unrated')).toBe(String(unrated));
    // The colour a resident sees, computed by the browser from the stylesheet.
    const fill = (s: number) => page.locator(`.leaflet-overlay-pane path.pt.s${s}`).first().evaluate((e) => getComputedStyle(e).fill);
    expect(await fill(5)).toBe('rgb(26, 152, 80)');
    const low = Math.min(...rows.flatMap((r) => (r.stars === null ? [] : [r.stars])));
    expect(await fill(low)).not.toBe('rgb(26, 152, 80)');
    const five = rows.filter((r) => r.stars === 5).length;
    await expect.poll(() => page.locator('#summary').getAttribute('data-five-star')).toBe(String(five));
    expect(await page.locator('#summary').getAttribute('data-compounds')).toBe(String(rows.length));
    expect(await page.locator('#districts tbody tr').count()).toBe(rig.city.districts.length);
    // The common-problems layer (GET /api/insights): the seeded fraud victims and disputes are there.
    const problems = await page.locator('#problems li').allInnerTexts();
    expect(problems.join(' ')).toMatch(/fraud victim|family dispute/);
    // The lowest list names the downgrade behind the worst compound.
    expect(await page.locator('#lowest li').first().innerText()).toMatch(/fraud den|burglary|drugs/);
    await shot('map', 1280, 900);
    await shot('map', 375, 812);
    await page.setViewportSize({ width: 1280, height: 900 });

    const d = rig.city.districts[2]!.id;
    await page.selectOption('#district', d);
    await page.waitForSelector(`body[data-district="${d}"]`);
    const inD = rows.filter((r) => r.district === d);
    expect(await page.locator('.leaflet-overlay-pane path.pt').count()).toBe(inD.length);
    expect(await page.locator(`.leaflet-overlay-pane path.pt:not([data-district="${d}"])`).count()).toBe(0);
    expect(await page.locator('#summary').getAttribute('data-compounds')).toBe(String(inD.length));
    expect(await page.locator('#districts tbody tr.selected').getAttribute('data-district')).toBe(d);
    expect(page.url()).toContain(`district=${d}`);
  });

  it('refreshes by itself: a new case recolours its point without a reload', async () => {
    const rows = await compounds();
    const target = rows.find((r) => r.stars === 5)!;
    await page.goto(`${rig.url}/map?refresh=1`);
    await page.waitForSelector('body[data-loaded]');
    const point = page.locator(`.leaflet-overlay-pane path.pt[data-id="${target.id}"]`);
    expect(await point.getAttribute('class')).toContain('s5');
    expect((await postCase(rig.url, target.id, 'fraud-den', 'live-1')).status).toBe(201);
    await expect.poll(() => point.getAttribute('data-stars'), { timeout: 5000 }).toBe('3');
    expect(await point.getAttribute('class')).toContain('s3');
  });
});

describe('一码 /c/:id in a real browser', () => {
  it('shows stars and index, takes a report through the form, and shows a veto after a homicide', async () => {
    const c = rig.city.compounds[7]!;
    const before = (await compounds()).find((r) => r.id === c.id)!;
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${rig.url}/c/${c.id}`);
    expect(await page.locator('[data-testid=stars]').getAttribute('data-stars')).toBe(String(before.stars));
    expect(await page.locator('[data-testid=index]').innerText()).toBe(before.index.toFixed(1));
    expect(await page.locator('h1').innerText()).toBe(c.name);
    expect(await page.locator('[data-testid=downgrade]').innerText()).toContain('burglary');

    const text = 'Gate 2 is left open at night 二号门夜间常开';
    await page.selectOption('#r-category', 'security');
    await page.fill('#r-text', text);
    expect(await page.locator('#r-count').innerText()).toBe(`${[...text].length} / 500`);
    await page.click('#report-form button[type=submit]');
    await page.waitForSelector('#r-status.ok');
    const stored = (await (await fetch(`${rig.url}/api/compounds/${c.id}/reports`, { headers: { authorization: `Bearer ${TOKENS.operator}` } })).json()) as { text: string; category: string }[];
    expect(stored.find((r) => r.text === text)).toMatchObject({ category: 'security' });
    await shot('compound', 375, 812);

    expect((await postCase(rig.url, c.id, 'homicide', 'browser-homicide')).status).toBe(201);
    await page.reload();
    expect(await page.locator('[data-testid=stars]').getAttribute('data-stars')).toBe('0');
    const veto = await page.locator('[data-testid=veto]').innerText();
    expect(veto).toContain('homicide');
    expect(veto).not.toContain('browser-homicide');
    await shot('compound-veto', 375, 812);
    await shot('compound-veto', 1280, 900);
  });

  it('shows a friendly 404 page for an unknown code', async () => {
    const r = await page.goto(`${rig.url}/c/not-a-compound`);
    expect(r?.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toContain('Compound not found');
    expect(await page.locator('a[href="/map"]').count()).toBe(1);
  });
});
