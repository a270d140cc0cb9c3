import type { RouteOptions } from 'fastify';

/**
 * Routes that carry no OpenAPI schema, each with its reason. Everything else registered on the hub
 * or the edge must be documented (the coverage test fails on a new undocumented route).
 */
export const UNDOCUMENTED: Record<string, string> = {
  '/docs': 'the Swagger UI itself (HTML and its assets, from @fastify/swagger-ui)',
  '/docs/': 'the Swagger UI itself',
  '/docs/*': 'the Swagger UI assets',
  '/docs/static/*': 'the Swagger UI assets',
  '/docs/json': 'the OpenAPI document (same as /openapi.json)',
  '/docs/yaml': 'the OpenAPI document as YAML',
  '/docs/static/index.html': 'the Swagger UI page',
  '/docs/static/swagger-initializer.js': 'the Swagger UI start script',
  '/openapi.json': 'the OpenAPI document: it describes the routes, it is not one of them',
};

export interface SeenRoute {
  method: string;
  url: string;
  schema: RouteOptions['schema'];
}

/** Collects routes through fastify's onRoute hook (HEAD twins of GET routes left out). */
export function routeRecorder(): { seen: SeenRoute[]; onRoute: (r: RouteOptions) => void } {
  const seen: SeenRoute[] = [];
  return {
    seen,
    onRoute(r) {
      for (const m of [r.method].flat()) if (m !== 'HEAD') seen.push({ method: m, url: r.url, schema: r.schema });
    },
  };
}

/** Why a route is not properly documented, or undefined when it is. */
export function undocumented(r: SeenRoute): string | undefined {
  if (r.url in UNDOCUMENTED) return undefined;
  const s = r.schema as Record<string, unknown> | undefined;
  if (!s) return 'no schema';
  if (s['hide']) return 'hidden from the OpenAPI document';
  const response = s['response'] as Record<string, unknown> | undefined;
  if (!response || !Object.keys(response).some((k) => /^2\d\d$/.test(k))) return 'no 2xx response schema';
  if (/:\w/.test(r.url) && !s['params']) return 'path parameters without a params schema';
  // A POST may take no body (POST /api/alarms/:id/confirm); one that reads a body without a schema is
  // caught by the cases and reports checks, which assert the request body in /openapi.json.
  if (r.url.startsWith('/api/') && !Object.keys(response).some((k) => /^[45]\d\d$/.test(k)) && (s['querystring'] || s['params'] || s['body'] || s['security'])) {
    return 'takes input or a token but documents no error response';
  }
  return undefined;
}

/** fastify `/api/compounds/:id` → OpenAPI `/api/compounds/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');
