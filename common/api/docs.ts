import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.ts';

export interface DocsOptions {
  title: string;
  description: string;
  tags?: { name: string; description: string }[];
}

/** Where the docs live on both servers (the UI, and the document it reads). */
export const DOCS_ROUTES = ['/docs', '/openapi.json'] as const;

/**
 * OpenAPI 3 from the route schemas (@fastify/swagger) and its UI at /docs (@fastify/swagger-ui,
 * served from the package: no CDN, works on an offline hub). Must be registered before the
 * routes: it collects them with an onRoute hook. Public on purpose: the document describes the
 * API and holds no data; every route it lists keeps its own authentication.
 */
export async function registerDocs(app: FastifyInstance, o: DocsOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: o.title, description: o.description, version: VERSION },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'a token from `safestar hub tokens add …` (hub) or `safestar edge token` (edge)' },
        },
      },
      ...(o.tags ? { tags: o.tags } : {}),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, tryItOutEnabled: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
