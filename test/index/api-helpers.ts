import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { City } from '../../protocol/city.ts';
import { buildApi } from '../../hub/api/app.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { casesPlugin } from '../../hub/index/cases-plugin.ts';
import { CaseStore } from '../../hub/cases/store.ts';

export const TOKENS = {
  police: 'police-token-0123456789',
  court: 'court-token-0123456789',
  petitions: 'petitions-token-0123456789',
  operator: 'operator-token-0123456789',
};

export function smallCity(): City {
  return {
    v: 1,
    seed: 1,
    name: 'test city',
    districts: [{ id: 'siming', name: 'Siming' }],
    compounds: [
      { id: 'c0001', name: 'A', district: 'siming', households: 1000, lat: 24.45, lon: 118.1, devices: [{ id: 'c0001-acc-01', kind: 'access', profile: 'hik-access', zone: 1, heartbeatSeconds: 60 }] },
      { id: 'c0002', name: 'B', district: 'siming', households: 400, lat: 24.46, lon: 118.1, devices: [] },
    ],
  };
}

export interface Rig {
  app: FastifyInstance;
  engine: IndexRating;
  state: StateDb;
  clock: { now: number };
  file: string;
  close(): Promise<void>;
}

/** The real engine on a temp SQLite file behind the hub's real API builder, driven by inject. */
export async function rig(startAt: number, file?: string): Promise<Rig> {
  const dir = file ? undefined : mkdtempSync(join(tmpdir(), 'ss-index-'));
  const dbFile = file ?? join(dir as string, 'state.db');
  const state = new StateDb(dbFile);
  state.registerCity(smallCity());
  const clock = { now: startAt };
  // c0001 has a resident survey (so it is rated from the start); c0002 has no data at all: unrated.
  if (!file) new CaseStore(state.db).setSurvey('c0001', 0.97, startAt);
  const engine = new IndexRating({ state, now: () => clock.now }, { manual: true });
  const app = await buildApi(
    {
      health: () => ({ status: 'ok', influx: 'disabled', queueDepth: 0, counters: { received: 0, duplicates: 0, deadLettered: 0, queued: 0, written: 0 }, problems: [] }),
      rating: engine,
      deadLetters: () => [],
      metrics: new Registry(),
      locations: () => new Map(),
    },
    [casesPlugin({ engine, tokens: { departments: { police: [TOKENS.police], court: [TOKENS.court], petitions: [TOKENS.petitions] }, operators: [TOKENS.operator] } })],
  );
  return {
    app,
    engine,
    state,
    clock,
    file: dbFile,
    async close() {
      await app.close();
      engine.close();
      state.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
