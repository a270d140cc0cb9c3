/**
 * The edge's own answer to one bad message: the device's `lastError` on `GET /devices/:id` when
 * the edge tied the refusal or dead letter to the device, else the code whose counter moved on
 * `GET /metrics` (refusals decided before the edge knows the device, e.g. a refused CONNECT).
 * The simulator reports a bad-traffic outcome only from this, never from what it assumes.
 */
export interface EdgeAnswer {
  code: string;
  reason: string;
  /** A dead letter (kept with its reason) or a refusal (connection or publish refused). */
  kind: 'dead-letter' | 'refusal';
}

export interface EdgeApi {
  url: string;
  /** Bearer token, when the edge's API asks for one. */
  token?: string;
}

const DEAD_LETTER_CODES = /^SS_(CODEC_|EVENT_INVALID|PAYLOAD_TOO_LARGE|DL_)/;
const COUNTERS = /^safestar_edge_(refused|deadletters)_total\{code="([A-Z0-9_]+)"\} (\d+(?:\.\d+)?)/;

function headers(api: EdgeApi): Record<string, string> {
  return api.token ? { authorization: `Bearer ${api.token}` } : {};
}

export type CounterSnapshot = Map<string, number>;

/** Refusal and dead-letter counters by code (`refused:CODE` / `deadletters:CODE`). */
export async function counters(api: EdgeApi): Promise<CounterSnapshot> {
  const out: CounterSnapshot = new Map();
  try {
    const r = await fetch(`${api.url.replace(/\/+$/, '')}/metrics`, { headers: headers(api) });
    if (!r.ok) return out;
    for (const line of (await r.text()).split('\n')) {
      const m = COUNTERS.exec(line);
      if (m) out.set(`${m[1]}:${m[2]}`, Number(m[3]));
    }
  } catch {
    /* no answer: the caller reports the outcome as unconfirmed */
  }
  return out;
}

async function lastError(api: EdgeApi, device: string): Promise<{ code: string; reason: string; at: number } | null> {
  try {
    const r = await fetch(`${api.url.replace(/\/+$/, '')}/devices/${encodeURIComponent(device)}`, { headers: headers(api) });
    if (!r.ok) return null;
    return ((await r.json()) as { lastError: { code: string; reason: string; at: number } | null }).lastError;
  } catch {
    return null;
  }
}

/** Poll the edge (up to `waitMs`) for its answer to a bad message sent at `sentAt` (edge clock ≈ ours). */
export async function edgeAnswer(api: EdgeApi, device: string | undefined, sentAt: number, before: CounterSnapshot, waitMs = 3000): Promise<EdgeAnswer | undefined> {
  const end = Date.now() + waitMs;
  for (;;) {
    if (device) {
      const e = await lastError(api, device);
      if (e && e.at >= sentAt - 50) return { code: e.code, reason: e.reason, kind: DEAD_LETTER_CODES.test(e.code) ? 'dead-letter' : 'refusal' };
    }
    const now = await counters(api);
    for (const [k, n] of now) {
      if (n > (before.get(k) ?? 0)) {
        const [what, code] = k.split(':') as [string, string];
        return { code, reason: `the edge counted it under ${code}`, kind: what === 'deadletters' ? 'dead-letter' : 'refusal' };
      }
    }
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}
