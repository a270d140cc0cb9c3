import type { Logger } from 'pino';
import type { Event } from '../../protocol/event.ts';
import type { SiteConfig } from '../../protocol/site.ts';
import type { DeviceRegistry } from '../auth/registry.ts';
import { opcuaDraft } from '../codecs/opcua-signal.ts';
import type { HealthTracker, HealthTransition } from '../health/health.ts';
import type { GroupCommitter } from '../pipeline/committer.ts';
import { toEvent, type IngestContext } from '../pipeline/ingest.ts';
import type { OpcuaConnector } from './opcua.ts';

/**
 * Wires the configured OPC UA endpoints to the pipeline: value changes → events
 * (codecs/opcua-signal.ts) → group commit. Previous values live here, not in the connector, so a
 * rebuilt session's initial values are not reported again. node-opcua takes seconds to load:
 * only sites with OPC UA endpoints import it.
 */
export interface OpcuaEventsDeps {
  cfg: Readonly<SiteConfig>;
  registry: DeviceRegistry;
  health: HealthTracker;
  committer: GroupCommitter;
  ctx: IngestContext;
  clock: () => number;
  log: Logger;
  edgeEvent: (t: HealthTransition, at: number) => Event;
}

export async function startOpcuaEvents(d: OpcuaEventsDeps): Promise<OpcuaConnector[]> {
  const endpoints = d.cfg.opcua ?? [];
  if (endpoints.length === 0) return [];
  const { OpcuaConnector, pkiDirFor } = await import('./opcua.ts');
  const { registry, health, committer, ctx, clock, log, edgeEvent } = d;
  (await import('./opcua-log.ts')).routeOpcuaLogs(log);
  const prev = new Map<string, unknown>();
  const noop = (): void => undefined;
  return endpoints.map((endpoint) => {
    const devices = [...new Set(endpoint.items.map((i) => i.device))];
    const c = new OpcuaConnector({
      endpoint,
      pkiDir: pkiDirFor(d.cfg.dataDir),
      clock,
      onValue({ item, value, time }) {
        const entry = registry.get(item.device);
        if (!entry) return;
        const now = clock();
        const key = `${endpoint.url}|${item.nodeId}`;
        const before = prev.get(key);
        prev.set(key, value);
        const back = health.seen(entry.device.id, now);
        const events = back ? [edgeEvent(back, now)] : [];
        const attributes: Event['attributes'] = { source: 'opcua', node: item.nodeId.slice(0, 200) };
        if (item.zone !== undefined) attributes['zone'] = item.zone;
        const draft = opcuaDraft(item.signal, entry.device.kind, before, value, time, attributes);
        if (draft) events.push(toEvent(ctx, entry, draft, now));
        if (events.length > 0) committer.submit(events, [], noop);
      },
      onAlive() {
        // A live subscription means the controller is there, even when no value changes.
        const now = clock();
        for (const id of devices) {
          const back = health.seen(id, now, false);
          if (back) committer.submit([edgeEvent(back, now)], [], noop);
        }
      },
      onState(state, detail) {
        log[state === 'up' ? 'info' : 'warn']({ url: endpoint.url, state, detail }, `OPC UA ${state}`);
      },
    });
    c.start();
    return c;
  });
}
