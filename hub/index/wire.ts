import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../hub.ts';
import type { RatingEngine } from '../rating/types.ts';
import { casesPlugin, type CasesPluginOptions } from './cases-plugin.ts';
import { tokensFromEnv, type TokenConfig } from '../cases/auth.ts';
import { IndexRating, type IndexRatingOptions } from './hub-rating.ts';

export interface SafetyIndexWiring {
  rating: (ctx: HubContext) => RatingEngine;
  apiPlugins: Array<(app: FastifyInstance, ctx: HubContext) => void | Promise<void>>;
  /** The engine once the hub has created it (for tests and tools). */
  engine(): IndexRating | undefined;
}

/**
 * The two HubOptions that put the safety-index engine and the cases API into the hub:
 * `startHub({ ...opts, ...safetyIndex({ history: influx }) })`. Tokens default to the
 * environment (SAFESTAR_DEPARTMENT_TOKENS, SAFESTAR_OPERATOR_TOKENS).
 */
export function safetyIndex(opts: IndexRatingOptions & { tokens?: TokenConfig; sessions?: CasesPluginOptions['sessions'] } = {}): SafetyIndexWiring {
  let engine: IndexRating | undefined;
  const tokens = opts.tokens ?? tokensFromEnv();
  return {
    rating: (ctx) => (engine = new IndexRating(ctx, opts)),
    apiPlugins: [
      (app, ctx) => {
        if (!engine) throw new Error('SS_INDEX_WIRING: the rating engine must be created before the API plugins; pass both options from safetyIndex()');
        const n = Object.values(tokens.departments).flat().length + tokens.operators.length + Object.values(tokens.officers ?? {}).flat().length + (tokens.issued?.().size ?? 0);
        if (n === 0) ctx.log.warn('SS_CASE_AUTH: no department or operator tokens configured; POST /api/cases answers 401 until tokens are issued (safestar hub tokens add …)');
        casesPlugin({ engine, tokens, ...(opts.sessions ? { sessions: opts.sessions } : {}) })(app);
      },
    ],
    engine: () => engine,
  };
}
