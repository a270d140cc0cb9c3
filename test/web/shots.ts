import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Screenshots go here (SAFESTAR_SHOTS to keep them somewhere else); every one is also checked. */
export const SHOT_DIR = process.env['SAFESTAR_SHOTS'] ?? join(tmpdir(), `safestar-shots-${process.pid}`);

export interface ShotCheck {
  file: string;
  /** Distinct colours on a 64×64 sample grid. */
  colours: number;
  /** Share of the sample taken by the most common colour (a blank page is ~1). */
  dominant: number;
  /** Page wider than the viewport (a horizontal scroll bar on a phone). */
  overflowX: number;
}

/**
 * Take a screenshot and read it back: decoded by the browser itself (an <img> on a canvas in a
 * blank page), so "not blank" is measured on the PNG that was written, not assumed.
 */
export async function shot(page: Page, name: string): Promise<ShotCheck> {
  mkdirSync(SHOT_DIR, { recursive: true });
  const vp = page.viewportSize()!;
  const file = join(SHOT_DIR, `${name}-${vp.width}x${vp.height}.png`);
  const png = await page.screenshot({ path: file });
  const overflowX = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const reader = await page.context().newPage();
  try {
    const stats = await reader.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const counts = new Map<string, number>();
      let n = 0;
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const d = g.getImageData(Math.floor(((x + 0.5) * img.width) / 64), Math.floor(((y + 0.5) * img.height) / 64), 1, 1).data;
          const k = `${d[0]},${d[1]},${d[2]}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
          n++;
        }
      }
      return { colours: counts.size, dominant: Math.max(...counts.values()) / n };
    }, png.toString('base64'));
    return { file, ...stats, overflowX };
  } finally {
    await reader.close();
  }
}

/** The element's box lies inside the viewport horizontally and, after scrolling to it, vertically. */
export async function inViewport(page: Page, selector: string): Promise<boolean> {
  const el = page.locator(selector).first();
  await el.scrollIntoViewIfNeeded();
  const box = await el.boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.width > 0 && box.x >= 0 && box.x + box.width <= vp.width + 0.5 && box.y >= 0 && box.y + box.height <= vp.height + 0.5;
}
