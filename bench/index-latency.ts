import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Event } from '../protocol/event.ts';
import { StateDb } from '../hub/store/stateDb.ts';
import { CaseStore } from '../hub/cases/store.ts';
import { IndexRating } from '../hub/index/hub-rating.ts';
import { localMidnight } from '../hub/policy/time.ts';
import { generateCity } from '../simulators/city.ts';
import { generateCaseHistories } from '../simulators/cases/generate.ts';
import { percentile, summarize } from './lib/stats.ts';
import type { Row } from './lib/report.ts';

/**
 * The product index engine (hub/index/hub-rating.ts) at city scale, in process, on a real SQLite
 * state file: a 2,285-compound city with one year and with five years of cases.
 *  - re-rate cost per compound after 1 year vs after 5 years (it must not grow: window reads);
 *  - case → published stars latency (recordCase, as POST /api/cases runs it);
 *  - events at `eventsPerSecond` with device on/offline changes, then the monthly review while the
 *    events keep coming: event → published rating latency, and the event-loop delay
 *    (perf_hooks.monitorEventLoopDelay, p99 and max) over the whole run.
 */
export interface IndexBenchOptions {
  compounds?: number;
  eventsPerSecond?: number;
  durationMs?: number;
  say?: (s: string) => void;
}

export interface IndexBenchResult {
  rerateUs: Record<'1y' | '5y', { p50: number; p99: number }>;
  caseToStarsMs: { p50: number; p99: number; max: number };
  eventToRatingMs: { p50: number; p99: number; max: number };
  loopDelayMs: { p99: number; max: number };
  reviewMs: number;
  events: number;
  /** Events actually handed to the engine per second (the open-loop sender can fall behind). */
  sentPerSecond: number;
  /** Offline probes whose rating had not moved when the run ended. */
  unanswered: number;
}

const DAY = 86_400_000;

export function loadCity(years: number, compounds: number, at: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-index-'));
  const state = new StateDb(join(dir, 'state.db'));
  const city = generateCity({ compounds, seed: 11 });
  state.registerCity(city);
  const store = new CaseStore(state.db);
  const histories = generateCaseHistories(city, { seed: 11, at, days: 365 * years + 30 });
  state.db.transaction(() => {
    for (const h of histories) {
      store.setSurvey(h.compound.id, h.survey, at);
      for (const c of h.cases) store.upsertCase(c, c.registeredAt);
    }
  })();
  return { dir, state, city, cases: histories.reduce((s, h) => s + h.cases.length, 0) };
}

function quantiles(xs: number[]) {
  return { p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) };
}

export async function benchIndex(o: IndexBenchOptions = {}): Promise<IndexBenchResult> {
  const compounds = o.compounds ?? 2285;
  const rate = o.eventsPerSecond ?? 20_000;
  const duration = o.durationMs ?? 20_000;
  const say = o.say ?? (() => {});
  // The run starts half its length before the review of 1 July 2027 (local midnight) and runs in
  // real time, so the review falls in the middle while events keep coming.
  const review = localMidnight(2027, 7, 1, 480);
  const start = review - Math.floor(duration / 2);
  const rerateUs = {} as IndexBenchResult['rerateUs'];
  let result: Omit<IndexBenchResult, 'rerateUs'> | undefined;
  for (const years of [1, 5] as const) {
    say(`index: ${compounds} compounds, ${years} year(s) of cases…`);
    const { dir, state, city } = loadCity(years, compounds, start);
    const clock = { now: start };
    const engine = new IndexRating({ state, now: () => clock.now }, { manual: true });
    try {
      // Re-rate cost: one compound at a time, inputs reloaded (a case of its own arrived).
      const costs: number[] = [];
      for (const c of city.compounds) {
        const t = performance.now();
        engine.recordCase({ id: `bench-${years}-${c.id}`, department: 'police', category: 'fraud-victim', compound: c.id, occurredAt: clock.now - DAY, registeredAt: clock.now - DAY, status: 'registered' });
        costs.push((performance.now() - t) * 1000);
      }
      rerateUs[`${years}y`] = { p50: percentile(costs, 50), p99: percentile(costs, 99) };
      if (years === 1) {
        result = await underLoad(engine, city, clock, rate, duration, review, say);
      }
    } finally {
      engine.close();
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rerateUs, ...(result as Omit<IndexBenchResult, 'rerateUs'>) };
}

type Device = { id: string; compound: string; district: string; kind: string };

const heartbeat = (d: Device, id: string, at: number): Event => ({ v: 1, id, deviceTime: at, receivedAt: at, district: d.district, compound: d.compound, edge: 'bench', device: d.id, kind: d.kind as Event['kind'], type: 'heartbeat', severity: 'info', attributes: {} });

export async function underLoad(engine: IndexRating, city: ReturnType<typeof generateCity>, clock: { now: number }, rate: number, duration: number, review: number, say: (s: string) => void) {
  const devices: Device[] = city.compounds.flatMap((c) => c.devices.map((d) => ({ id: d.id, compound: c.id, district: c.district, kind: d.kind })));
  // A running hub already knows its devices: every one heard once before the measured run (the
  // first-heard re-rate of every compound is start-up, not steady state).
  for (let i = 0; i < devices.length; i += 5000) engine.onEvents(devices.slice(i, i + 5000).map((d, k) => heartbeat(d, `warm:${i + k}`, clock.now)));
  await sleep(200);
  await engine.idle();
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const caseLatency: number[] = [];
  const eventLatency: number[] = [];
  let events = 0;
  let seq = 0;
  const t0 = performance.now();
  const wallStart = clock.now;
  let reviewMs = 0;
  let reviewDone: Promise<void> | undefined;
  const tickMs = 10;
  const probes: { compound: string; device: string; sent: number; before: string }[] = [];
  let nextOffline = 0;
  let nextCase = 0;
  say(`index: ${rate} events/s for ${duration / 1000} s, crossing the monthly review…`);
  while (performance.now() - t0 < duration) {
    const elapsed = performance.now() - t0;
    // Real time: the hub's clock is the wall clock from the start instant.
    clock.now = wallStart + Math.floor(elapsed);
    // Open loop: send what the rate says by now, whatever the last tick cost.
    const n = Math.round((rate * elapsed) / 1000) - events;
    const batch: Event[] = [];
    for (let i = 0; i < n; i++) {
      const d = devices[(seq * 7919) % devices.length] as Device;
      seq++;
      batch.push(heartbeat(d, `bench:${seq}`, clock.now));
    }
    // Every 100 ms one device goes offline (an input changes): measure until its rating shows it.
    if (elapsed >= nextOffline) {
      nextOffline += 100;
      const d = devices[(seq * 31) % devices.length] as Device;
      batch.push({ ...heartbeat(d, `bench:off:${seq}`, clock.now), type: 'offline', severity: 'major' });
      probes.push({ compound: d.compound, device: d.id, sent: performance.now(), before: engine.peek(d.compound)?.updatedAt ?? '' });
    }
    engine.onEvents(batch);
    events += batch.length;
    // A case every 250 ms, as POST /api/cases runs it.
    if (elapsed >= nextCase) {
      nextCase += 250;
      const c = city.compounds[seq % city.compounds.length]!;
      const t = performance.now();
      engine.recordCase({ id: `load-${seq}`, department: 'police', category: 'burglary', compound: c.id, occurredAt: clock.now - 3_600_000, registeredAt: clock.now - 60_000, status: 'registered' });
      caseLatency.push(performance.now() - t);
    }
    if (!reviewDone && clock.now >= review) {
      const t = performance.now();
      reviewDone = engine.tickSliced().then(() => {
        reviewMs = performance.now() - t;
      });
    }
    await sleep(tickMs);
    for (let i = probes.length - 1; i >= 0; i--) {
      const p = probes[i]!;
      const r = engine.peek(p.compound);
      if (r && r.updatedAt !== p.before) {
        eventLatency.push(performance.now() - p.sent);
        probes.splice(i, 1);
      }
    }
  }
  const sentFor = performance.now() - t0;
  await reviewDone;
  await engine.idle();
  h.disable();
  return {
    caseToStarsMs: quantiles(caseLatency),
    eventToRatingMs: eventLatency.length ? quantiles(eventLatency) : { p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
    loopDelayMs: { p99: h.percentile(99) / 1e6, max: h.max / 1e6 },
    reviewMs,
    events,
    sentPerSecond: (events * 1000) / sentFor,
    unanswered: probes.length,
  };
}

/** Rows for `safestar bench index`. */
export async function benchIndexRows(o: IndexBenchOptions = {}): Promise<Row[]> {
  const r = await benchIndex(o);
  const one = (v: number) => summarize([v]);
  return [
    { name: 'index re-rate per compound, 1 year of cases (p99)', unit: 'µs', value: one(r.rerateUs['1y'].p99), note: `p50 ${r.rerateUs['1y'].p50.toFixed(0)} µs` },
    { name: 'index re-rate per compound, 5 years of cases (p99)', unit: 'µs', value: one(r.rerateUs['5y'].p99), baseline: { name: '1 year', value: one(r.rerateUs['1y'].p99) }, ratio: r.rerateUs['5y'].p99 / r.rerateUs['1y'].p99, target: '≈ 1 (reads only the policy window)', met: r.rerateUs['5y'].p99 < 2 * r.rerateUs['1y'].p99, note: `p50 ${r.rerateUs['5y'].p50.toFixed(0)} µs` },
    { name: 'case → published stars (p99)', unit: 'ms', value: one(r.caseToStarsMs.p99), target: '< 1000 ms', met: r.caseToStarsMs.p99 < 1000, note: `p50 ${r.caseToStarsMs.p50.toFixed(2)} ms, max ${r.caseToStarsMs.max.toFixed(1)} ms` },
    { name: 'event → published rating (p99)', unit: 'ms', value: one(r.eventToRatingMs.p99), target: '< 1000 ms', met: r.eventToRatingMs.p99 < 1000, note: `p50 ${r.eventToRatingMs.p50.toFixed(0)} ms, max ${r.eventToRatingMs.max.toFixed(0)} ms, ${r.events} events at ${r.sentPerSecond.toFixed(0)}/s sent, ${r.unanswered} probes unanswered` },
    { name: 'event-loop delay under load and the monthly review (p99)', unit: 'ms', value: one(r.loopDelayMs.p99), target: '< 50 ms', met: r.loopDelayMs.p99 < 50, note: `max ${r.loopDelayMs.max.toFixed(1)} ms; review of the city took ${(r.reviewMs / 1000).toFixed(2)} s in slices` },
  ];
}
