import type { HubBus } from './bus.ts';

export interface EdgeState {
  id: string;
  /** Connected to the hub's MQTT right now. */
  connected: boolean;
  /** Last connect or disconnect (ms); null = not seen since the hub started. */
  since: number | null;
  /** What the edge last said in its retained state message (online/offline, its device count). */
  reported: { state: string; devices: number | null; at: number | null } | null;
  /** Dead letters the edge kept, by reason code, as it last reported them (they stay on the edge's disk). */
  deadLetters: Record<string, number>;
}

/** Edges remembered (a city has tens to hundreds). */
const MAX_EDGES = 10_000;

/** At most this many reason codes are taken from one edge's report (it is input, not trusted). */
const MAX_REASONS = 50;

function reasons(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, n] of Object.entries(v as Record<string, unknown>).slice(0, MAX_REASONS)) {
    if (/^SS_[A-Z0-9_]{1,60}$/.test(k) && typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) out[k] = n;
  }
  return out;
}

/**
 * Which edges are connected, from the broker's connect/disconnect and each edge's retained
 * `ss/v1/edge/<id>/state` message. In memory: after a hub restart every edge reconnects within
 * its backoff, so the picture rebuilds itself. Changes go to the hub bus (the console's live view).
 */
export class EdgeStatus {
  private readonly edges = new Map<string, EdgeState>();

  constructor(private readonly bus: HubBus, private readonly now: () => number) {}

  private get(id: string): EdgeState {
    let e = this.edges.get(id);
    if (!e) {
      // In insecure dev mode any client id may connect: forget the oldest disconnected one past the cap.
      if (this.edges.size >= MAX_EDGES) {
        for (const [k, v] of this.edges) {
          if (!v.connected) {
            this.edges.delete(k);
            break;
          }
        }
      }
      this.edges.set(id, (e = { id, connected: false, since: null, reported: null, deadLetters: {} }));
    }
    return e;
  }

  connected(id: string, up: boolean): void {
    const e = this.get(id);
    if (e.connected === up && e.since !== null) return;
    e.connected = up;
    e.since = this.now();
    this.bus.publish({ type: 'edge', edge: id, state: up ? 'online' : 'offline', at: e.since });
  }

  /** The edge's own state message; bad JSON is ignored (it is only a hint, the connection is the truth). */
  reported(id: string, payload: Buffer): void {
    let v: unknown;
    try {
      v = JSON.parse(payload.subarray(0, 4096).toString('utf8'));
    } catch {
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const e = this.get(id);
    if (o['deadLetters'] !== undefined) {
      const dl = reasons(o['deadLetters']);
      if (JSON.stringify(dl) !== JSON.stringify(e.deadLetters)) {
        e.deadLetters = dl;
        this.bus.publish({ type: 'deadletters', counts: {}, at: this.now() });
      }
    }
    e.reported = {
      state: typeof o['state'] === 'string' ? o['state'].slice(0, 20) : 'unknown',
      devices: typeof o['devices'] === 'number' ? o['devices'] : null,
      at: typeof o['at'] === 'number' ? o['at'] : null,
    };
  }

  list(): EdgeState[] {
    return [...this.edges.values()].map((e) => ({ ...e, deadLetters: { ...e.deadLetters } })).sort((a, b) => a.id.localeCompare(b.id));
  }
}
