import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { textResponse } from '../../../common/api/schemas.ts';

/** The files the console and login pages load (the same ones hub/web/page-routes.ts serves). */
const ASSETS: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'time.js': 'text/javascript; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'login.js': 'text/javascript; charset=utf-8',
};
const STATIC = new URL('../static/', import.meta.url);

/**
 * `GET /web/:file` for the console's own scripts and style sheet, on a server that does not
 * already serve the public pages' assets (a cluster worker without them). Call it after every
 * other route is added: it steps aside when `/web/:file` is already there.
 */
export function consoleAssets(app: FastifyInstance): void {
  if (app.hasRoute({ method: 'GET', url: '/web/:file' })) return;
  const files = new Map(Object.keys(ASSETS).map((f) => [f, readFileSync(new URL(f, STATIC), 'utf8')]));
  app.get<{ Params: { file: string } }>('/web/:file', {
    schema: {
      tags: ['console'], summary: "the console's scripts and style sheet",
      params: Type.Object({ file: Type.String({ description: Object.keys(ASSETS).join(', ') }) }),
      response: { 200: textResponse('text/javascript', 'a script or style sheet'), 404: textResponse('text/plain', 'no such file') },
    },
  }, async (req, reply) => {
    const body = files.get(req.params.file);
    const type = ASSETS[req.params.file];
    if (body === undefined || !type) return reply.code(404).type('text/plain').send('not found');
    return reply.type(type).header('cache-control', 'public, max-age=60').send(body);
  });
}
