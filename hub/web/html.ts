import type { FastifyReply } from 'fastify';

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

/** An HTML answer with the pages' security headers. */
export function sendHtml(reply: FastifyReply, status: number, body: string, imgOrigin?: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    // No inline script or style anywhere, no third-party origin: the pages run offline on a hub.
    // imgOrigin: the city's own tile server, on the map page only (a basemap is optional; mapTileUrl).
    .header('content-security-policy', `default-src 'self'; img-src 'self' data:${imgOrigin ? ' ' + imgOrigin : ''}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}
