import type { HubContext } from '../../hub.ts';
import type { IndexRating } from '../../index/hub-rating.ts';
import type { ConsoleSource } from './source.ts';

/**
 * The embedded hub's console data: the index engine (ratings, audit, alarms, devices) and the
 * hub's context (edge connections over its own broker, dead letters in ingest.db, the bus).
 * `ready()` is false until the engine exists.
 */
export function embeddedSource(engine: () => IndexRating | undefined, ctx: HubContext, districtNames: ReadonlyMap<string, string>): ConsoleSource {
  const e = (): IndexRating => {
    const x = engine();
    if (!x) throw new Error('console: the index engine is not ready');
    return x;
  };
  return {
    ready: () => engine() !== undefined,
    now: () => ctx.now(),
    timezoneOffsetMinutes: () => e().policy.timezoneOffsetMinutes,
    ratings: async () => e().list(),
    districtNames: async () => districtNames,
    auditSince: async (from, limit) => e().ratings.auditSince(from, limit),
    alarms: async (f) => e().cases.listAlarms(f),
    devices: async () => e().devices(),
    issuedEdges: async () => ctx.edges.issued(),
    edgeStates: async () => ctx.edges.status(),
    deadLetters: async (recent) => ({ summary: ctx.deadLetters.summary(), recent: ctx.deadLetters.recent(recent) }),
    subscribe: async (fn) => ctx.bus.on((ev) => fn(ev)),
    limits: {},
  };
}
