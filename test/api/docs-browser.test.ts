import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { TOKENS, webRig, type WebRig } from '../web/helpers.ts';

/** Real Debian chromium, headless (as test/web/browser.test.ts launches it). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let rig: WebRig;
let browser: Browser;

beforeAll(async () => {
  rig = await webRig(4);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

describe('/docs in a real browser', () => {
  it('shows the cases operation with its request body, offline (no third-party origin)', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(rig.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    await page.goto(`${rig.url}/docs`);
    const op = page.locator('#operations-cases-post_api_cases');
    await op.waitFor({ timeout: 30_000 });
    expect(await op.locator('.opblock-summary-path').innerText()).toContain('/api/cases');
    // The lock: the UI knows this route needs the bearer token.
    expect(await op.locator('.authorization__btn').count()).toBe(1);
    await op.locator('.opblock-summary').click();
    await page.locator('#operations-cases-post_api_cases .opblock-section-request-body').waitFor({ timeout: 10_000 });
    expect(await page.locator('#operations-cases-post_api_cases').innerText()).toContain('registeredAt');
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('posts a case from "Try it out" with a department token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${rig.url}/docs`);
    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('.modal-ux input[type=text], .modal-ux input:not([type])').first().fill(TOKENS.police);
    await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
    await page.locator('.modal-ux .close-modal').click();
    const op = page.locator('#operations-cases-post_api_cases');
    await op.locator('.opblock-summary').click();
    await op.locator('.try-out__btn').click();
    const at = new Date().toISOString();
    const c = rig.city.compounds[0]!.id;
    await op.locator('textarea.body-param__text').fill(JSON.stringify({ id: 'DOCS-1', department: 'police', category: 'burglary', compound: c, occurredAt: at, registeredAt: at, status: 'registered' }));
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/cases') && r.request().method() === 'POST'),
      op.locator('.execute').click(),
    ]);
    expect(res.status()).toBe(201);
    const detail = (await (await fetch(`${rig.url}/api/compounds/${c}/detail`, { headers: { authorization: `Bearer ${TOKENS.police}` } })).json()) as { detail?: { downgrades?: unknown[] } };
    expect(JSON.stringify(detail)).toContain('DOCS-1');
    await page.close();
  });
});
