import { readFileSync } from 'node:fs';
import { decode } from '../../edge/codecs/registry.ts';
import { messageEventId, serialOf } from '../../edge/pipeline/ids.ts';
import type { SiteConfig } from '../../protocol/site.ts';
import type { LoadClient } from '../loadgen/protocol.ts';

/**
 * Loss by id, not by count: a count of events at the far end can hide a lost event behind one the
 * edge made itself (a device coming online) or a resend. Each acknowledged publish (the load
 * generator's `ackedLog`) is decoded here with the edge's own codecs and named with the edge's own
 * event ids (edge/pipeline/ids.ts: a device message's id depends on what it says, not on when it
 * arrived), and each of those ids must be among the ids the hub side received.
 */
export interface AckedIdCheck {
  /** Acknowledged publishes read from the log. */
  acked: number;
  /** Distinct event ids they decode to (one message may carry several events). */
  expected: number;
  /** Device event ids the hub side received (resends counted each time). */
  received: number;
  /** Expected ids the hub side never received: acknowledged and lost. */
  missing: number;
  /** A few of them, to look up in the edge's outbox or dead letters. */
  missingSample: string[];
  /** Received ids no acknowledged publish explains (e.g. a publish still unacknowledged when the run ended). */
  unexplained: number;
  /** Ids received more than once (the uplink resent a batch): the hub stores them once. */
  resends: number;
  /** Acknowledged publishes the edge's codec refuses: the edge dead-letters these, so they are listed apart. */
  undecodable: number;
}

export function checkAckedIds(config: SiteConfig, clients: readonly LoadClient[], ackedLog: string, receivedIds: string): AckedIdCheck {
  const devices = new Map(config.devices.map((d) => [d.id, d]));
  const expected = new Set<string>();
  let acked = 0;
  let undecodable = 0;
  for (const line of readFileSync(ackedLog, 'utf8').split('\n')) {
    if (line === '') continue;
    acked++;
    const [idx, text] = JSON.parse(line) as [number, string];
    const client = clients[idx];
    const device = client && devices.get(client.clientId);
    if (!device) throw new Error(`SS_BENCH_ACKED_IDS: publish of client ${idx} names no device of the site`);
    const payload = Buffer.from(text);
    const r = decode(device.profile, 'events', payload, { device: device.id, kind: device.kind, timezone: config.timezone, receivedAt: Date.now() });
    if (!r.ok) {
      undecodable++;
      continue;
    }
    r.drafts.forEach((d, i) => expected.add(messageEventId(config.edge.id, device.id, serialOf(device.profile, 'events', d.attributes), d, payload, i)));
  }
  const got = readFileSync(receivedIds, 'utf8').split('\n').filter((s) => s !== '');
  const seen = new Set(got);
  const missing = [...expected].filter((id) => !seen.has(id));
  let unexplained = 0;
  for (const id of seen) if (!expected.has(id)) unexplained++;
  return { acked, expected: expected.size, received: got.length, missing: missing.length, missingSample: missing.slice(0, 5), unexplained, resends: got.length - seen.size, undecodable };
}
