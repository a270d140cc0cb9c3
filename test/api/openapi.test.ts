import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { generateCity } from '../../simulators/city.ts';
import { API_TOKEN, device, siteConfig, startHubStandIn, tempDir, type HubStandIn } from '../edge/helpers.ts';
import { openApiPath, routeRecorder, undocumented, type SeenRoute } from './routes.ts';

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
const TOKENS = { police: 'police-token-0123456789', operator: 'operator-token-0123456789' };
const tokens = { departments: { police: [TOKENS.police] }, operators: [TOKENS.operator] };
const city = generateCity({ compounds: 4, seed: 3 });

let hub: Hub;
let dir: string;
const hubRoutes = routeRecorder();
let edge: Edge;
let standIn: HubStandIn;
let edgeDir: { dir: string; cleanup: () => void };
const edgeRoutes = routeRecorder();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-openapi-'));
  // The hub exactly as `safestar hub` wires it (productHub), so routes added there are covered too.
  hub = await startHub({
    dataDir: dir, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, city, log: false,
    ...productHub({ tokens, districts: city.districts }), onRoute: hubRoutes.onRoute,
    isOperator: (h) => h === `Bearer ${TOKENS.operator}`,
  });
  standIn = await startHubStandIn();
  edgeDir = tempDir();
  edge = await startEdge(siteConfig(edgeDir.dir, standIn.url, [device('f1')]), { onRoute: edgeRoutes.onRoute });
});
afterAll(async () => {
  await hub?.close();
  await edge?.close();
  await standIn?.close();
  edgeDir?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Spec = { info: { version: string }; paths: Record<string, Record<string, Record<string, unknown>>>; components: { securitySchemes: Record<string, unknown> } };
const spec = async (base: string): Promise<Spec> => {
  const r = await fetch(`${base}/openapi.json`);
  expect(r.status).toBe(200);
  return (await r.json()) as Spec;
};

function expectDocumented(seen: SeenRoute[], doc: Spec): void {
  expect(seen.length).toBeGreaterThan(5);
  const problems = seen.flatMap((r) => {
    const why = undocumented(r);
    return why ? [`${r.method} ${r.url}: ${why}`] : [];
  });
  expect(problems).toEqual([]);
  // And each documented route is in the served document under its OpenAPI path.
  for (const r of seen.filter((x) => x.schema && !undocumented(x) && !x.url.startsWith('/docs') && x.url !== '/openapi.json')) {
    expect(doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()], `${r.method} ${r.url} in /openapi.json`).toBeDefined();
  }
}

/** A response checked against the schema its route declares for that status. */
async function conforms(seen: SeenRoute[], method: string, pattern: string, res: Response): Promise<unknown> {
  const route = seen.find((r) => r.method === method && r.url === pattern);
  const schema = (route?.schema as { response?: Record<string, TSchema> } | undefined)?.response?.[String(res.status)];
  expect(schema, `${method} ${pattern} documents HTTP ${res.status}`).toBeDefined();
  const body = await res.json();
  const c = Compile(schema as TSchema);
  expect(c.Check(body) ? [] : [...c.Errors(body)].map((e) => `${e.instancePath} ${e.message}`), `${method} ${pattern} ${res.status} matches its schema`).toEqual([]);
  return body;
}

const auth = (t: string) => ({ authorization: `Bearer ${t}` });

describe('hub OpenAPI', () => {
  it('documents every route it registers (schema with responses), except the listed docs routes', async () => {
    expectDocumented(hubRoutes.seen, await spec(hub.apiUrl));
  });

  it('serves /openapi.json with the cases request body, the bearer scheme and the product version', async () => {
    const doc = await spec(hub.apiUrl);
    expect(doc.info.version).toBe(VERSION);
    expect(doc.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const post = doc.paths['/api/cases']?.['post'] as { requestBody?: { content?: Record<string, { schema?: { required?: string[]; properties?: Record<string, unknown> } }> }; security?: unknown };
    const body = post.requestBody?.content?.['application/json']?.schema;
    expect(body?.required).toEqual(expect.arrayContaining(['id', 'department', 'category', 'compound', 'occurredAt', 'registeredAt', 'status']));
    expect(Object.keys(body?.properties ?? {})).toContain('compound');
    expect(post.security).toEqual([{ bearer: [] }]);
    // Public routes carry no security requirement.
    expect(doc.paths['/api/compounds']?.['get']?.['security']).toBeUndefined();
    // /docs is public and serves the UI.
    const ui = await fetch(`${hub.apiUrl}/docs/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it('validates with the schemas but keeps the stable codes, and checks the token first', async () => {
    const url = hub.apiUrl;
    const post = (body: unknown, token?: string) => fetch(`${url}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? auth(token) : {}) }, body: JSON.stringify(body) });
    const anon = await post({ nonsense: true });
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { code: string }).code).toBe('SS_CASE_AUTH');
    const bad = await post({ id: 7, extra: 1 }, TOKENS.police);
    expect(bad.status).toBe(400);
    const b = (await conforms(hubRoutes.seen, 'POST', '/api/cases', bad)) as { code: string; problems: unknown[] };
    expect(b.code).toBe('SS_CASE_INVALID');
    expect(b.problems.length).toBeGreaterThan(0);
    // Query limits: bounded by the schema (1..1000), not clamped by hand.
    for (const q of ['limit=5000', 'limit=0', 'limit=abc', 'status=lost']) {
      const r = await fetch(`${url}/api/alarms?${q}`, { headers: auth(TOKENS.operator) });
      expect(r.status, q).toBe(400);
      expect(((await r.json()) as { code: string }).code).toBe('SS_CASE_INVALID');
    }
    expect((await fetch(`${url}/api/alarms?limit=5000`, { headers: auth(TOKENS.police) })).status).toBe(403);
    const ok = await fetch(`${url}/api/alarms?limit=2&status=pending`, { headers: auth(TOKENS.operator) });
    await conforms(hubRoutes.seen, 'GET', '/api/alarms', ok);
    expect((await fetch(`${url}/api/deadletters?limit=0`)).status).toBe(401);
    const dl = await fetch(`${url}/api/deadletters?limit=0`, { headers: auth(TOKENS.operator) });
    expect(dl.status).toBe(400);
    expect(((await dl.json()) as { code: string }).code).toBe('SS_HUB_INVALID');
    const c = city.compounds[0]!.id;
    expect(((await (await fetch(`${url}/api/compounds/${c}/reports?limit=1001`, { headers: auth(TOKENS.operator) })).json()) as { code: string }).code).toBe('SS_WEB_REPORT_INVALID');
  });

  it('answers what its response schemas say', async () => {
    const url = hub.apiUrl;
    const c = city.compounds[0]!;
    const at = new Date().toISOString();
    const created = await fetch(`${url}/api/cases`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...auth(TOKENS.police) },
      body: JSON.stringify({ id: 'OA-1', department: 'police', category: 'burglary', compound: c.id, occurredAt: at, registeredAt: at, status: 'registered' }),
    });
    expect(created.status).toBe(201);
    await conforms(hubRoutes.seen, 'POST', '/api/cases', created);
    await conforms(hubRoutes.seen, 'GET', '/api/cases/:id', await fetch(`${url}/api/cases/OA-1`, { headers: auth(TOKENS.police) }));
    await conforms(hubRoutes.seen, 'GET', '/api/compounds', await fetch(`${url}/api/compounds`));
    await conforms(hubRoutes.seen, 'GET', '/api/compounds/:id', await fetch(`${url}/api/compounds/${c.id}`));
    await conforms(hubRoutes.seen, 'GET', '/api/compounds/:id', await fetch(`${url}/api/compounds/nope`));
    await conforms(hubRoutes.seen, 'GET', '/health', await fetch(`${url}/health`));
    await conforms(hubRoutes.seen, 'GET', '/api/index/stats', await fetch(`${url}/api/index/stats`));
    await conforms(hubRoutes.seen, 'PUT', '/api/compounds/:id/survey', await fetch(`${url}/api/compounds/${c.id}/survey`, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth(TOKENS.operator) }, body: JSON.stringify({ satisfaction: 0.9 }) }));
    const v = (await conforms(hubRoutes.seen, 'GET', '/version', await fetch(`${url}/version`))) as { version: string; service: string };
    expect(v).toMatchObject({ version: VERSION, service: 'hub' });
  });
});

describe('edge OpenAPI', () => {
  it('documents every route of the local API and serves /openapi.json and /docs', async () => {
    const doc = await spec(edge.apiUrl);
    expectDocumented(edgeRoutes.seen, doc);
    expect(doc.info.version).toBe(VERSION);
    expect(doc.paths['/deadletters']?.['get']?.['security']).toEqual([{ bearer: [] }]);
    expect((await fetch(`${edge.apiUrl}/docs/`)).status).toBe(200);
  });

  it('bounds limits by schema with its own code, token first, and answers /version', async () => {
    const r = await fetch(`${edge.apiUrl}/events/recent?limit=5000`);
    expect(r.status).toBe(400);
    expect(((await conforms(edgeRoutes.seen, 'GET', '/events/recent', r)) as { code: string }).code).toBe('SS_API_INVALID');
    await conforms(edgeRoutes.seen, 'GET', '/events/recent', await fetch(`${edge.apiUrl}/events/recent?limit=3`));
    expect((await fetch(`${edge.apiUrl}/deadletters?limit=abc`)).status).toBe(401);
    expect((await fetch(`${edge.apiUrl}/deadletters?limit=abc`, { headers: auth(API_TOKEN) })).status).toBe(400);
    await conforms(edgeRoutes.seen, 'GET', '/deadletters', await fetch(`${edge.apiUrl}/deadletters?limit=5`, { headers: auth(API_TOKEN) }));
    await conforms(edgeRoutes.seen, 'GET', '/health', await fetch(`${edge.apiUrl}/health`));
    const v = (await conforms(edgeRoutes.seen, 'GET', '/version', await fetch(`${edge.apiUrl}/version`))) as { version: string; service: string };
    expect(v).toMatchObject({ version: VERSION, service: 'edge' });
  });
});
