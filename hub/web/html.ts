/** Escape text for HTML element content and double-quoted attributes. */
export function esc(v: string | number): string {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Star colours, shared with the map (static/map.js keeps the same list). 0 = vetoed. */
export const STAR_COLOURS = ['#5b2a86', '#d73027', '#fc8d59', '#e6b400', '#91cf60', '#1a9850'] as const;

export function starsText(stars: number): string {
  const s = Math.max(0, Math.min(5, Math.round(stars)));
  return '★'.repeat(s) + '☆'.repeat(5 - s);
}

/** The page frame: no inline script or style, so the CSP can forbid both. */
export function page(title: string, body: string, opts: { scripts?: string[]; bodyAttrs?: string } = {}): string {
  const scripts = (opts.scripts ?? []).map((s) => `<script src="${esc(s)}" defer></script>`).join('');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/web/style.css">
${scripts}
</head>
<body${opts.bodyAttrs ? ' ' + opts.bodyAttrs : ''}>
${body}
</body>
</html>
`;
}
