import type { FastifyInstance } from 'fastify';
import type { CompoundRating } from '../rating/types.ts';

/** Where the pages read ratings from. */
export interface RatingSource {
  list(): Promise<CompoundRating[]>;
  get(id: string): Promise<CompoundRating | undefined>;
}

/**
 * The default source: the hub's own JSON API, called in-process with `inject` (no socket). The
 * pages then show exactly what the API says, whichever rating engine the hub runs.
 */
export function apiSource(app: FastifyInstance): RatingSource {
  return {
    async list() {
      const r = await app.inject({ method: 'GET', url: '/api/compounds' });
      if (r.statusCode !== 200) throw new Error(`SS_WEB_SOURCE: GET /api/compounds answered ${r.statusCode}`);
      return r.json<CompoundRating[]>();
    },
    async get(id) {
      const r = await app.inject({ method: 'GET', url: `/api/compounds/${encodeURIComponent(id)}` });
      if (r.statusCode === 404) return undefined;
      if (r.statusCode !== 200) throw new Error(`SS_WEB_SOURCE: GET /api/compounds/:id answered ${r.statusCode}`);
      return r.json<CompoundRating>();
    },
  };
}

/** A source over a rating engine object (tests, or a hub that passes its engine directly). */
export function engineSource(engine: { list(): CompoundRating[]; get(id: string): CompoundRating | undefined }): RatingSource {
  return { list: async () => engine.list(), get: async (id) => engine.get(id) };
}
