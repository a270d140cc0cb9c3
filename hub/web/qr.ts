import QRCode from 'qrcode';

/** The plaque's QR code as SVG: error correction M survives weather and a little dirt on a plaque. */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
}

/**
 * The compound page's URL. A configured public base wins (a hub behind a proxy cannot know the
 * address residents use); otherwise the request's own scheme and host.
 */
export function pageUrl(id: string, base: string | undefined, req: { protocol: string; host: string }): string {
  const root = (base ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
  return `${root}/c/${encodeURIComponent(id)}`;
}
