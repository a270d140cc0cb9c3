import type { DeviceKind, EventType, Severity } from '../../protocol/devices.ts';
import type { OpcuaSignal } from '../../protocol/site.ts';
import type { EventDraft } from './types.ts';

/**
 * The OPC UA "codec": a monitored value change → zero or one event draft. Pure. OPC UA variables
 * are states, not events, so events come from transitions: alarm flags on the rising edge, power
 * on the falling edge, armed and gate state on any change. `prev` is undefined for the first value
 * the edge ever sees of an item: an alarm that is already active then is reported (it is news to
 * the edge); a state (armed, gate) is only recorded. After a reconnect the server re-sends current
 * values; the caller keeps `prev` across reconnects, so nothing is reported twice.
 */
const RISING: Partial<Record<OpcuaSignal, [EventType, Severity]>> = {
  'fence-alarm': ['fence-alarm', 'major'],
  'wire-cut': ['wire-cut', 'critical'],
  'short-circuit': ['short-circuit', 'major'],
  tamper: ['tamper', 'major'],
  'gate-fault': ['gate-fault', 'minor'],
};

export function opcuaDraft(
  signal: OpcuaSignal,
  kind: DeviceKind,
  prev: unknown,
  next: unknown,
  time: number,
  attributes: EventDraft['attributes'],
): EventDraft | undefined {
  const draft = (type: EventType, severity: Severity): EventDraft => ({ kind, type, severity, deviceTime: time, attributes });
  const rising = RISING[signal];
  if (rising) return next === true && prev !== true ? draft(rising[0], rising[1]) : undefined;
  if (signal === 'power-ok') return next === false && prev !== false ? draft('power-loss', 'minor') : undefined;
  if (signal === 'armed') {
    if (prev === undefined || typeof next !== 'boolean' || next === prev) return undefined;
    return draft(next ? 'arm' : 'disarm', 'info');
  }
  // gate-state: 0 closed, 1 opening, 2 open, 3 closing; the moving states are not events.
  if (prev === undefined || next === prev) return undefined;
  if (next === 2) return draft('gate-open', 'info');
  if (next === 0) return draft('gate-close', 'info');
  return undefined;
}
