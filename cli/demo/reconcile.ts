import type { City } from '../../protocol/city.ts';
import type { DeviceKind } from '../../protocol/devices.ts';
import type { VendorProfile } from '../../protocol/vendors.ts';
import { decode } from '../../edge/codecs/registry.ts';
import { messageEventId, serialOf } from '../../edge/pipeline/ids.ts';
import type { SentMessage } from '../../simulators/run.ts';

/**
 * The demo's by-id reconciliation (issue 10). Every simulated message names its events: the edge
 * derives each event id from the message (vendor serial, or a digest of device, device time, type
 * and bytes: edge/pipeline/ids.ts), so the ids a message stands for are known before the edge
 * sees it. What must hold, with MQTT QoS 1's at-least-once delivery:
 *
 *   acknowledged ⊆ stored ⊆ published, and no id stored twice.
 *
 * An event stored although its device never saw the PUBACK (the link or the edge was slow) is
 * `storedUnacknowledged`: fine. An acknowledged event missing from the store is `lost`; an id
 * stored twice is `duplicated`: those two are failures.
 *
 * `state` messages (`online`, and the `offline` Wills the broker sends for a device) carry no
 * time, so their ids cannot be known in advance (VENDORS.md "Event identity"): they are
 * reconciled by count per device and type instead, with the same rules.
 */
export interface StoredRow {
  id: string;
  device: string;
  type: string;
}

export interface Reconciliation {
  /** Events (distinct ids, plus state events) the devices published, acknowledged or not. */
  published: number;
  acknowledged: number;
  /** Published events found in the store. */
  stored: number;
  /** Of those, events whose device never saw the PUBACK (at-least-once: fine). */
  storedUnacknowledged: number;
  /** Acknowledged events not in the store. */
  lost: number;
  /** Extra copies of an id (or of a state event) in the store. */
  duplicated: number;
  /** Stored events of the run's devices that no simulated message stands for. */
  storedUnpublished: number;
  /** Messages the edge's own codecs cannot decode (the edge dead-letters them). */
  undecodable: number;
  /** Up to 20 of each, to say which. */
  lostIds: string[];
  duplicatedIds: string[];
}

interface DeviceInfo {
  edge: string;
  kind: DeviceKind;
  profile: VendorProfile;
}

const STATE_TYPES = new Set(['online', 'offline']);
const SAMPLE = 20;

export class Ledger {
  private readonly devices = new Map<string, DeviceInfo>();
  private readonly published = new Set<string>();
  private readonly acknowledged = new Set<string>();
  /** device\0type → [published, acknowledged, possible] for state events. */
  private readonly states = new Map<string, [number, number, number]>();
  private undecodable = 0;

  constructor(city: City, edgeOfCompound: ReadonlyMap<string, string>, private readonly timezone: string) {
    for (const c of city.compounds) {
      const edge = edgeOfCompound.get(c.id);
      if (edge === undefined) continue;
      for (const d of c.devices) this.devices.set(d.id, { edge, kind: d.kind, profile: d.profile });
    }
  }

  /** One message and its outcome (SimOptions.onMessage). */
  add(m: SentMessage): void {
    const dev = this.devices.get(m.device);
    if (!dev) return;
    if (m.channel === 'state') {
      const type = String(m.payload).trim();
      const k = `${m.device}\0${type}`;
      const n = this.states.get(k) ?? [0, 0, 0];
      // A Will that may or may not have been sent (connect abandoned before CONNACK) counts as
      // published only if the store shows it (reconcile).
      if (m.possible) n[2]++;
      else n[0]++;
      if (m.acked) n[1]++;
      this.states.set(k, n);
      return;
    }
    const payload = typeof m.payload === 'string' ? Buffer.from(m.payload) : m.payload;
    // receivedAt only matters to messages without a time of their own (state, handled above).
    const r = decode(dev.profile, m.channel, payload, { device: m.device, kind: dev.kind, timezone: this.timezone, receivedAt: 0 });
    if (!r.ok) {
      this.undecodable++;
      return;
    }
    r.drafts.forEach((d, i) => {
      const id = messageEventId(dev.edge, m.device, serialOf(dev.profile, m.channel, d.attributes), d, payload, i);
      this.published.add(id);
      if (m.acked) this.acknowledged.add(id);
    });
  }

  /** Compare with what the store holds of this run (rows of the run's devices). */
  reconcile(rows: readonly StoredRow[]): Reconciliation {
    const out: Reconciliation = {
      published: this.published.size, acknowledged: this.acknowledged.size, stored: 0, storedUnacknowledged: 0,
      lost: 0, duplicated: 0, storedUnpublished: 0, undecodable: this.undecodable, lostIds: [], duplicatedIds: [],
    };
    const copies = new Map<string, number>();
    const stateStored = new Map<string, number>();
    for (const r of rows) {
      if (!this.devices.has(r.device)) continue;
      if (STATE_TYPES.has(r.type)) {
        const k = `${r.device}\0${r.type}`;
        stateStored.set(k, (stateStored.get(k) ?? 0) + 1);
        continue;
      }
      copies.set(r.id, (copies.get(r.id) ?? 0) + 1);
    }
    for (const [id, n] of copies) {
      if (!this.published.has(id)) {
        out.storedUnpublished += n;
        continue;
      }
      out.stored++;
      if (!this.acknowledged.has(id)) out.storedUnacknowledged++;
      if (n > 1) {
        out.duplicated += n - 1;
        if (out.duplicatedIds.length < SAMPLE) out.duplicatedIds.push(id);
      }
    }
    for (const id of this.acknowledged) {
      if (copies.has(id)) continue;
      out.lost++;
      if (out.lostIds.length < SAMPLE) out.lostIds.push(id);
    }
    for (const [k, [sure, a, possible]] of this.states) {
      const s = stateStored.get(k) ?? 0;
      const p = sure + Math.min(possible, Math.max(0, s - sure));
      const label = k.replace('\0', ' ');
      out.published += p;
      out.acknowledged += a;
      out.stored += Math.min(s, p);
      out.storedUnacknowledged += Math.max(0, Math.min(s, p) - a);
      if (s < a) {
        out.lost += a - s;
        if (out.lostIds.length < SAMPLE) out.lostIds.push(`${label} ×${a - s}`);
      }
      if (s > p) {
        out.duplicated += s - p;
        if (out.duplicatedIds.length < SAMPLE) out.duplicatedIds.push(`${label} ×${s - p}`);
      }
      stateStored.delete(k);
    }
    for (const n of stateStored.values()) out.storedUnpublished += n;
    return out;
  }
}
