import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { HubBus, type HubEvent } from '../../hub/bus.ts';
import { EdgeStatus } from '../../hub/edge-status.ts';
import { changeCounts, localDayStart, rootCauses } from '../../hub/web/console/data.ts';
import { MemorySessionStore } from '../../hub/web/console/session-store.ts';
import { ConsoleSessions, cookieValue } from '../../hub/web/console/sessions.ts';
import { districtLayer } from '../../hub/web/map-districts.ts';
import { parseTileUrl } from '../../hub/web/map-tiles.ts';

const req = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as FastifyRequest;

describe('console sessions', () => {
  it('expire on the injected clock, need the CSRF header for a POST, and are gone after revoke', async () => {
    let t = 1_000_000;
    const s = new ConsoleSessions({ ttlMs: 60_000, max: 10, now: () => t });
    const a = await s.create();
    const cookie = `x=1; ss_console=${a.id}; y=2`;
    expect(cookieValue(cookie, 'ss_console')).toBe(a.id);
    expect(await s.principal(req('GET', { cookie }))).toEqual({ kind: 'operator' });
    expect(await s.principal(req('POST', { cookie }))).toBeUndefined();
    expect(await s.principal(req('POST', { cookie, 'x-safestar-csrf': a.csrf }))).toEqual({ kind: 'operator' });
    expect(await s.principal(req('POST', { cookie, 'x-safestar-csrf': (await s.create()).csrf }))).toBeUndefined();
    t += 60_000;
    expect(await s.principal(req('GET', { cookie }))).toBeUndefined();
    const b = await s.create();
    await s.revoke(b.id);
    expect(await s.get(b.id)).toBeUndefined();
  });

  it('keep at most `max` sessions (a login flood cannot grow memory)', async () => {
    const s = new ConsoleSessions({ ttlMs: 60_000, max: 3, now: () => 0 });
    const first = await s.create();
    for (let i = 0; i < 5; i++) await s.create();
    expect(await s.size()).toBe(3);
    expect(await s.get(first.id)).toBeUndefined();
  });

  it('answer a session from another process sharing the store, and a revoke there ends it here', async () => {
    const store = new MemorySessionStore();
    const a = new ConsoleSessions({ ttlMs: 60_000, max: 10, now: () => 5, store });
    const b = new ConsoleSessions({ ttlMs: 60_000, max: 10, now: () => 5, store });
    const s = await a.create();
    expect(await b.get(s.id)).toEqual({ csrf: s.csrf, expiresAt: s.expiresAt });
    await b.revoke(s.id);
    expect(await a.get(s.id)).toBeUndefined();
  });
});

describe('console data', () => {
  it('starts the city day at local midnight (UTC+8), also across the year end', () => {
    const at = Date.parse('2026-12-31T16:30:00Z'); // 00:30 on 1 January 2027 in Xiamen
    expect(new Date(localDayStart(at, 480)).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(new Date(localDayStart(Date.parse('2026-12-31T15:59:59Z'), 480)).toISOString()).toBe('2026-12-30T16:00:00.000Z');
  });

  it('counts star changes up, down and other', () => {
    expect(changeCounts([{ compound: 'a', fromStars: 5, toStars: 4 }, { compound: 'b', fromStars: 3, toStars: 4 }, { compound: 'c', fromStars: null, toStars: 5 }])).toEqual({ up: 1, down: 1, other: 1 });
  });

  it('groups devices behind an offline edge as one cause, and lists offline devices of a live edge per compound', () => {
    const devices = [
      { id: 'd1', compound: 'c1', lastSeen: 1, online: false },
      { id: 'd2', compound: 'c1', lastSeen: 1, online: false },
      { id: 'd3', compound: 'c2', lastSeen: null, online: false },
      { id: 'd4', compound: 'c3', lastSeen: 5, online: false },
      { id: 'd5', compound: 'c3', lastSeen: 5, online: true },
    ];
    const r = rootCauses(devices, [{ id: 'e1', connected: false, since: 9 }, { id: 'e2', connected: true, since: 3 }], [
      { id: 'e1', compounds: new Set(['c1', 'c2']) },
      { id: 'e2', compounds: new Set(['c3']) },
    ]);
    expect(r.causes[0]).toEqual({ cause: 'edge-offline', edge: 'e1', devices: 3, compounds: ['c1', 'c2'], since: 9 });
    expect(r.causes[1]).toEqual({ cause: 'devices-offline', compound: 'c3', edge: 'e2', devices: ['d4'] });
    expect(r.totals).toEqual({ devices: 5, online: 1, offline: 1, unreachable: 3, neverHeard: 0 });
    expect(r.edges.find((e) => e.id === 'e1')).toMatchObject({ connected: false, devices: 3, devicesOffline: 3 });
  });
});

describe('edge status', () => {
  it('takes an edge\'s dead-letter counts from its state message, drops junk keys, and publishes a change once', () => {
    const bus = new HubBus();
    const seen: HubEvent[] = [];
    bus.on((e) => seen.push(e));
    const s = new EdgeStatus(bus, () => 42);
    s.connected('e1', true);
    s.reported('e1', Buffer.from(JSON.stringify({ v: 1, state: 'online', devices: 3, deadLetters: { SS_EDGE_DECODE: 2, 'bad key': 5, SS_X: -1 } })));
    s.reported('e1', Buffer.from(JSON.stringify({ v: 1, state: 'online', devices: 3, deadLetters: { SS_EDGE_DECODE: 2 } })));
    s.reported('e1', Buffer.from('not json'));
    expect(s.list()[0]).toMatchObject({ id: 'e1', connected: true, since: 42, deadLetters: { SS_EDGE_DECODE: 2 }, reported: { state: 'online', devices: 3 } });
    expect(seen.map((e) => e.type)).toEqual(['edge', 'deadletters']);
  });
});

describe('map layers', () => {
  it('partitions the city into one area per district with boundaries, and labels no closer to a compound than its spacing allows', () => {
    const pts = [
      { lat: 24.45, lon: 118.08, district: 'a' }, { lat: 24.46, lon: 118.09, district: 'a' },
      { lat: 24.52, lon: 118.15, district: 'b' }, { lat: 24.53, lon: 118.14, district: 'b' },
    ];
    const l = districtLayer(pts, new Map([['a', 'District A']]), { cells: 40, reach: 3 });
    const areas = l.features.filter((f) => f.properties.kind === 'district');
    expect(areas.map((f) => f.properties.kind === 'district' && f.properties.name)).toEqual(['District A', 'b']);
    expect(l.features.some((f) => f.properties.kind === 'boundary' && f.geometry.coordinates.length > 0)).toBe(true);
    for (const f of areas) {
      if (f.properties.kind !== 'district') continue;
      const [lat, lon] = f.properties.label;
      const nearest = Math.min(...pts.map((p) => Math.hypot(p.lat - lat, (p.lon - lon) * Math.cos((24.5 * Math.PI) / 180))));
      expect(nearest).toBeGreaterThan(0.004);
    }
    expect(districtLayer([], new Map()).bounds).toBeNull();
  });

  it('accepts a tile template with {z}/{x}/{y} and derives the CSP source; refuses anything else with SS_HUB_CONFIG', () => {
    expect(parseTileUrl(undefined)).toBeUndefined();
    expect(parseTileUrl('https://{s}.tiles.city.gov.cn/{z}/{x}/{y}.png')).toEqual({ url: 'https://{s}.tiles.city.gov.cn/{z}/{x}/{y}.png', cspSource: 'https://*.tiles.city.gov.cn' });
    expect(parseTileUrl('http://10.0.0.5:8080/t/{z}/{x}/{y}.png')?.cspSource).toBe('http://10.0.0.5:8080');
    expect(() => parseTileUrl('ftp://x/{z}/{x}/{y}')).toThrow(/SS_HUB_CONFIG/);
    expect(() => parseTileUrl('https://tiles.example/{z}.png')).toThrow(/SS_HUB_CONFIG/);
    expect(() => parseTileUrl("https://a.example; script-src *'/{z}/{x}/{y}")).toThrow(/SS_HUB_CONFIG/);
  });
});
