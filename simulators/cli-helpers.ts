import { readFileSync, writeFileSync } from 'node:fs';
import type { City } from '../protocol/city.ts';
import { checkCity } from '../protocol/city.ts';
import { describeProblems } from '../protocol/validate.ts';
import { generateCity } from './city.ts';
import { BAD_KINDS, type BadKind } from './vendors/types.ts';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios/types.ts';
import type { SimProgress, SimReport } from './run.ts';
import type { DeviceConnectOptions } from './transport.ts';

/** Shared option parsing for `safestar sim …`: small, validated, with coded errors. */
export function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`SS_SIM_ARG: '${v}' is not a whole number >= 0`);
  return n;
}

export function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`SS_SIM_ARG: '${v}' is not a number >= 0`);
  return n;
}

export function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export interface CityArgs {
  city?: string;
  compounds?: number;
  seed: number;
}

/** The city from `--city FILE` or generated from `--compounds N --seed S`. */
export function loadCity(a: CityArgs): City {
  if (a.city) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(a.city, 'utf8'));
    } catch (e) {
      throw new Error(`SS_SIM_CITY_FILE: cannot read '${a.city}': ${(e as Error).message}; write one with 'safestar sim city --out FILE'`);
    }
    const r = checkCity(raw);
    if (!r.ok) throw new Error(`SS_SIM_CITY_FILE: '${a.city}' is not a city: ${describeProblems(r.problems)}`);
    return r.value;
  }
  return generateCity({ compounds: a.compounds ?? 1, seed: a.seed });
}

export function compoundIdsOf(city: City, arg?: string): string[] {
  return arg ? list(arg) : city.compounds.map((c) => c.id);
}

export function loadPasswords(file?: string): Record<string, string> {
  if (!file) return {};
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!v || typeof v !== 'object') throw new Error('not an object');
    return v as Record<string, string>;
  } catch (e) {
    throw new Error(`SS_SIM_PASSWORDS_FILE: cannot read '${file}': ${(e as Error).message}; write one with 'safestar sim kit --passwords-out FILE'`);
  }
}

export function scenarioNames(v: string): ScenarioName[] {
  return list(v).map((s) => {
    if (!(SCENARIO_NAMES as readonly string[]).includes(s)) throw new Error(`SS_SIM_SCENARIO: unknown scenario '${s}'; pick from ${SCENARIO_NAMES.join(', ')}`);
    return s as ScenarioName;
  });
}

export function badKinds(v: string): BadKind[] {
  return list(v).map((s) => {
    if (!(BAD_KINDS as readonly string[]).includes(s)) throw new Error(`SS_SIM_BAD: unknown bad-traffic kind '${s}'; pick from ${BAD_KINDS.join(', ')}`);
    return s as BadKind;
  });
}

export interface TlsArgs {
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

export function tlsOf(a: TlsArgs): DeviceConnectOptions['tls'] | undefined {
  if (!a.ca && !a.cert && !a.key && !a.insecure) return undefined;
  return {
    ...(a.ca ? { ca: readFileSync(a.ca) } : {}),
    ...(a.cert ? { cert: readFileSync(a.cert) } : {}),
    ...(a.key ? { key: readFileSync(a.key) } : {}),
    ...(a.insecure ? { rejectUnauthorized: false } : {}),
  };
}

/** One live line on stderr (rewritten in place on a terminal). */
export function progressLine(p: SimProgress): void {
  const line = `sent ${p.sent}  acked ${p.acked}  errors ${p.errors}  rate ${p.rate.toFixed(0)}/s  expected events ${p.expectedEvents}  connected ${p.connected}  ${(p.elapsedMs / 1000).toFixed(0)} s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\u001b[K`);
  else process.stderr.write(`${line}\n`);
}

export function summary(r: SimReport): string {
  const secs = Math.max(0.001, (r.endMs - r.startMs) / 1000);
  const lines = [
    '',
    `devices ${r.devices}  sent ${r.sent}  acked ${r.acked}  errors ${r.errors}  expected events ${r.expectedEvents}  (${(r.acked / secs).toFixed(0)} msg/s over ${secs.toFixed(1)} s, stopped by ${r.stoppedBy})`,
    `by type: ${Object.entries(r.byType).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  const never = r.connectFailures.filter((f) => !f.recovered);
  if (r.connectAttemptsFailed) lines.push(`connect attempts failed: ${r.connectAttemptsFailed} (${r.connectFailures.length - never.length} device(s) got in on a retry)`);
  if (never.length) lines.push(`never connected: ${never.slice(0, 5).map((f) => `${f.device} (${f.code}: ${f.reason}; ${f.attempts} attempts)`).join('; ')}${never.length > 5 ? ` … +${never.length - 5}` : ''}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.stoppedBy === 'no-devices') lines.push('no device could connect: check --broker, --passwords and that the edge is running');
  if (r.willsTriggered) lines.push(`Last Wills triggered on purpose: ${r.willsTriggered}`);
  if (r.lostConnections) lines.push(`connections the broker closed: ${r.lostConnections} (their Wills are not in expected events)`);
  for (const [k, o] of Object.entries(r.bad)) {
    const answers = Object.entries(o.answers).map(([code, n]) => `${code} ×${n}`).join(', ');
    lines.push(
      `bad traffic ${k}: sent ${o.sent} (broker acked ${o.acked}, refused ${o.refused})` +
      (o.confirmed ? `; the edge answered ${answers}` : '') +
      (o.unconfirmed ? `; ${o.unconfirmed} without an answer from the edge (unconfirmed${r.probeAnswers.length === 0 ? ': pass --edge-api' : ''})` : ''),
    );
  }
  if (r.probeCuts) lines.push(`links the edge cut in answer to bad traffic: ${r.probeCuts} (those devices reconnected on their own)`);
  for (const t of r.truth) lines.push(`incident ${t.id}: ${new Date(t.start).toISOString()} … ${new Date(t.end).toISOString()} on ${t.devices.join(', ')}${t.notes ? ` — ${t.notes}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function writeOut(file: string | undefined, text: string): void {
  if (file) writeFileSync(file, text);
  else process.stdout.write(text);
}
