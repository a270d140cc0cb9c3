import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCity } from '../../simulators/city.ts';
import { startHub, type Hub, type HubOptions } from '../../hub/hub.ts';
import { safetyIndex } from '../../hub/index/wire.ts';
import { webPages, type WebPagesOptions } from '../../hub/web/plugin.ts';
import { consolePlugin, consoleSessions } from '../../hub/web/console/plugin.ts';
import type { City } from '../../protocol/city.ts';

export const TOKENS = {
  police: 'police-token-0123456789',
  court: 'court-token-0123456789',
  operator: 'operator-token-0123456789',
};
const tokens = { departments: { police: [TOKENS.police], court: [TOKENS.court] }, operators: [TOKENS.operator] };

export interface WebRig {
  hub: Hub;
  engine: ReturnType<typeof safetyIndex>['engine'];
  city: City;
  url: string;
  close(): Promise<void>;
}

/** A real hub (embedded aedes, SQLite in a temp dir, the index engine, the cases API) with the pages. */
export async function webRig(compounds = 40, web: WebPagesOptions = {}, hubOptions: Pick<HubOptions, 'trustedProxies'> = {}): Promise<WebRig> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-web-'));
  const city = generateCity({ compounds, seed: 7 });
  // One session store, shared by the console and the cases API (as productHub wires it).
  const sessions = consoleSessions();
  const index = safetyIndex({ tokens, manual: true, sessions });
  const hub = await startHub({
    dataDir: dir,
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    city,
    log: false,
    ...hubOptions,
    rating: index.rating,
    apiPlugins: [...index.apiPlugins, webPages({ tokens, districts: city.districts, ...web }), consolePlugin({ tokens, districts: city.districts, engine: index.engine, sessions })],
  });
  // Residents' surveys for all but the last two compounds: those have no data and stay unrated.
  for (const c of city.compounds.slice(0, -2)) {
    const res = await fetch(`${hub.apiUrl}/api/compounds/${c.id}/survey`, { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ satisfaction: 0.97 }) });
    if (res.status !== 200) throw new Error(`survey for ${c.id}: HTTP ${res.status}`);
  }
  return {
    hub,
    engine: index.engine,
    city,
    url: hub.apiUrl,
    async close() {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postCase(url: string, compound: string, category: string, id: string, at = new Date()): Promise<Response> {
  return fetch(`${url}/api/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.police}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id, department: 'police', category, compound, occurredAt: at.toISOString(), registeredAt: at.toISOString(), status: 'registered' }),
  });
}
