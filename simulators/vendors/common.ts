import type { EventType, Severity } from '../../protocol/devices.ts';
import { hash32 } from '../random.ts';
import type { Intent, IntentEvent } from './types.ts';

/** VENDORS.md "Severities (defaults)". */
const SEVERITY: Record<EventType, Severity> = {
  duress: 'critical', 'door-forced': 'critical', 'wire-cut': 'critical',
  'repeated-denied': 'major', tailgating: 'major', 'blacklist-hit': 'major', 'fence-alarm': 'major',
  'short-circuit': 'major', tamper: 'major', 'intrusion-enter': 'major',
  denied: 'minor', 'anti-passback': 'minor', 'door-held': 'minor', 'unknown-vehicle': 'minor', loitering: 'minor',
  'crowd-density': 'minor', 'line-crossing': 'minor', 'video-loss': 'minor', 'disk-fault': 'minor',
  'power-loss': 'minor', 'link-loss': 'minor', 'gate-fault': 'minor', fault: 'minor',
  granted: 'info', 'plate-read': 'info', 'gate-open': 'info', 'gate-close': 'info', arm: 'info', disarm: 'info',
  motion: 'info', 'intrusion-leave': 'info', 'door-closed': 'info', heartbeat: 'info', online: 'info', offline: 'info',
};

export function defaultSeverity(type: EventType): Severity {
  return SEVERITY[type];
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Wall-clock fields of `ms` shifted to a fixed offset. */
function fields(ms: number, offsetMin: number): { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number } {
  const t = new Date(ms + offsetMin * 60_000);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), ms: t.getUTCMilliseconds() };
}

function offsetText(offsetMin: number): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Local time without an offset: `2026-11-29 08:15:02` (sep ' ') or `2026-11-29T08:15:02`. */
export function localPlain(ms: number, offsetMin: number, sep: ' ' | 'T' = ' '): string {
  const f = fields(ms, offsetMin);
  return `${f.y}-${pad(f.mo)}-${pad(f.d)}${sep}${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`;
}

/** ISO 8601 with the offset: `2026-11-29T08:15:02+08:00` (or `.300+08:00` with millis). */
export function isoWithOffset(ms: number, offsetMin: number, millis = false): string {
  const f = fields(ms, offsetMin);
  return `${localPlain(ms, offsetMin, 'T')}${millis ? `.${pad(f.ms, 3)}` : ''}${offsetText(offsetMin)}`;
}

/** ISO 8601 UTC: `2026-11-29T00:15:02Z` or with millis. */
export function isoUtc(ms: number, millis = false): string {
  const s = new Date(ms).toISOString();
  return millis ? s : `${s.slice(0, 19)}Z`;
}

/** Stable pseudo-hardware identity of a device (IP, MAC) from its id. */
export function deviceIp(deviceId: string, subnet: number): string {
  const h = hash32(deviceId);
  return `10.${subnet}.${(h >>> 8) & 255}.${((h & 0xfd) | 1) >>> 0}`;
}

export function deviceMac(deviceId: string, oui: string): string {
  const h = hash32(`mac:${deviceId}`);
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `${oui}:${hex((h >>> 16) & 255)}:${hex((h >>> 8) & 255)}:${hex(h & 255)}`;
}

export function firstEvent(intent: Intent, profile: string): IntentEvent {
  const e = intent.events[0];
  if (!e) throw new Error(`SS_SIM_ENCODE_EMPTY: ${profile} intent has no event and no marker; give one event`);
  return e;
}

export function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

export function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function unsupported(profile: string, type: string): Error {
  return new Error(`SS_SIM_ENCODE_UNSUPPORTED: profile '${profile}' cannot carry event type '${type}'; check encoder.supports first`);
}

/** An encoding hint (which vendor code to use among equivalents): from meta, else attributes. */
export function hint(intent: Intent, key: string): string {
  const v = intent.meta?.[key] ?? intent.events[0]?.attributes[key];
  return typeof v === 'string' ? v : '';
}
