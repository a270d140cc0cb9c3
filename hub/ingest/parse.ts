import { checkEvent, checkEventBatch, type Event } from '../../protocol/event.ts';
import { describeProblems } from '../../protocol/validate.ts';
import type { DeadLetterReason } from '../errors.ts';

/** A dead-letter record before it is stored: what arrived, from whom, and why it was refused. */
export interface DeadLetterDraft {
  edge: string;
  reason: DeadLetterReason;
  detail: string;
  /** The raw payload or the offending event, bounded (see RAW_MAX). */
  raw: string;
}

export interface ParsedBatch {
  /** Events that passed validation, in batch order. */
  events: Event[];
  deadLetters: DeadLetterDraft[];
  /** Event items seen in the batch (good + bad); 0 when the envelope itself was bad. */
  items: number;
}

/**
 * 1,000 events (EVENT_BATCH_MAX) of at most 32 attributes of 256 chars stay far below this; anything
 * bigger is refused unparsed, so one edge can't make the hub build a huge object graph.
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** Dead letters keep at most this many characters of the raw input: enough to debug, bounded on disk. */
export const RAW_MAX = 16_384;

function bounded(s: string): string {
  return s.length > RAW_MAX ? `${s.slice(0, RAW_MAX)}…[truncated ${s.length - RAW_MAX} chars]` : s;
}

function rawOf(value: unknown): string {
  try {
    return bounded(JSON.stringify(value) ?? String(value));
  } catch {
    return bounded(String(value));
  }
}

/**
 * Pure: an uplink payload from edge `edge` → the good events and one dead letter per bad part.
 * Checked in two steps (envelope, then each event) so one bad event never costs its batch-mates.
 * `scope`: the compounds this edge is registered for (absent = any, insecure dev mode); an event
 * for another compound is dead-lettered, so a stolen edge secret can't rate the rest of the city.
 */
export function parseBatch(payload: Buffer | string, edge: string, scope?: ReadonlySet<string>): ParsedBatch {
  if (payload.length > MAX_BATCH_BYTES) {
    const head = (typeof payload === 'string' ? payload.slice(0, RAW_MAX) : payload.subarray(0, RAW_MAX).toString('utf8'));
    return { events: [], items: 0, deadLetters: [{ edge, reason: 'SS_DL_TOO_LARGE', detail: `${payload.length} bytes > ${MAX_BATCH_BYTES}; send smaller batches`, raw: bounded(head) }] };
  }
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { events: [], items: 0, deadLetters: [{ edge, reason: 'SS_DL_JSON', detail: (e as Error).message, raw: bounded(text) }] };
  }
  const env = checkEventBatch(json);
  if (!env.ok) {
    return { events: [], items: 0, deadLetters: [{ edge, reason: 'SS_DL_ENVELOPE', detail: describeProblems(env.problems), raw: bounded(text) }] };
  }
  if (env.value.edge !== edge) {
    return {
      events: [],
      items: 0,
      deadLetters: [{ edge, reason: 'SS_DL_EDGE_MISMATCH', detail: `batch says edge '${env.value.edge}' but was published by '${edge}'`, raw: bounded(text) }],
    };
  }
  const items = env.value.events;
  const events: Event[] = [];
  const deadLetters: DeadLetterDraft[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const r = checkEvent(item);
    if (!r.ok) {
      deadLetters.push({ edge, reason: 'SS_DL_EVENT_INVALID', detail: `events[${i}]: ${describeProblems(r.problems)}`, raw: rawOf(item) });
    } else if (r.value.edge !== edge) {
      deadLetters.push({ edge, reason: 'SS_DL_EDGE_MISMATCH', detail: `events[${i}] says edge '${r.value.edge}'`, raw: rawOf(item) });
    } else if (scope && !scope.has(r.value.compound)) {
      deadLetters.push({
        edge,
        reason: 'SS_DL_EDGE_SCOPE',
        detail: `events[${i}] is for compound '${r.value.compound}', which edge '${edge}' does not serve; re-issue its credentials with 'safestar hub edges add ${edge} --compounds …' if it should`,
        raw: rawOf(item),
      });
    } else {
      events.push(r.value);
    }
  }
  return { events, deadLetters, items: items.length };
}
