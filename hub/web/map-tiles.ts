import { HubError } from '../errors.ts';

export interface Basemap {
  /** Leaflet tile template, e.g. https://tiles.city.gov.cn/{z}/{x}/{y}.png ({s} subdomains allowed). */
  url: string;
  /** The CSP img-src entry that lets the map page load those tiles (and nothing else). */
  cspSource: string;
}

/**
 * The city's own tile server for the map's basemap (`mapTileUrl` / SAFESTAR_MAP_TILE_URL).
 * Absent: the map draws the offline district layer only. A bad value stops the hub at start with
 * SS_HUB_CONFIG, not as a blank map later.
 */
export function parseTileUrl(raw: string | undefined): Basemap | undefined {
  const url = raw?.trim();
  if (!url) return undefined;
  const m = /^(https?):\/\/([^/?#]+)(\/[^\s]*)$/.exec(url);
  if (!m || !url.includes('{z}') || !url.includes('{x}') || !url.includes('{y}')) {
    throw new HubError('SS_HUB_CONFIG', `map tile URL '${url.slice(0, 200)}' must be http(s)://host/…{z}…{x}…{y}… (SAFESTAR_MAP_TILE_URL or mapTileUrl), e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png`);
  }
  const host = m[2]!.replace(/^\{s\}\./, '*.');
  if (!/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    throw new HubError('SS_HUB_CONFIG', `map tile URL host '${host.slice(0, 100)}' is not a host name; only a leading {s}. subdomain is supported`);
  }
  return { url, cspSource: `${m[1]}://${host}` };
}
