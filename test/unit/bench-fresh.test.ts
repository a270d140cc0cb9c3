import { describe, expect, it } from 'vitest';
import { benchSite } from '../../bench/suites/fixtures.ts';
import { FreshStream } from '../../bench/loadgen/fresh.ts';
import { decode } from '../../edge/codecs/registry.ts';
import { messageEventId, serialOf } from '../../edge/pipeline/ids.ts';

// The load generator's endless stream: every message must be a new event for the real edge (its
// own decoder and event ids), in the vendor's shape, however many cycles a busy device runs.
describe('benchmark fresh device messages', () => {
  const site = benchSite({ devices: 60, edgeId: 'edge-t', hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/nonexistent', payloadsPerDevice: 12 });

  it('never repeats a device message over many cycles, and each decodes to one event', () => {
    const profiles = new Set<string>();
    for (const c of site.clients) {
      const src = c.fresh!;
      expect(src).toBeDefined();
      const dev = site.config.devices.find((d) => d.id === c.clientId)!;
      profiles.add(dev.profile);
      const ids = new Set<string>();
      const total = c.payloads.length * 5 + 3;
      const stream = new FreshStream(src, c.payloads);
      // A busy device: many messages within one second of the sender's clock, then a quiet one.
      const sentAt = (n: number): number => Date.UTC(2026, 11, 1, 8) + (n < total / 2 ? n * 3 : n * 60_000);
      for (let n = 0; n < total; n++) {
        const payload = Buffer.from(stream.next(sentAt(n)));
        const r = decode(dev.profile, 'events', payload, { device: dev.id, kind: dev.kind, timezone: '+08:00', receivedAt: Date.UTC(2026, 11, 1) });
        if (!r.ok) throw new Error(`${dev.profile} message ${n}: ${r.code} ${r.reason}`);
        expect(r.drafts).toHaveLength(1);
        const d = r.drafts[0]!;
        ids.add(messageEventId('edge-t', dev.id, serialOf(dev.profile, 'events', d.attributes), d, payload, 0));
      }
      expect(ids.size, `${c.clientId} (${dev.profile})`).toBe(total);
    }
    // The site has more than one vendor format, so this is not one codec's luck.
    expect(profiles.size).toBeGreaterThan(3);
  });

  it('stamps fresh messages with the send time when the device sends at most one a second', () => {
    const c = site.clients.find((x) => site.config.devices.find((d) => d.id === x.clientId)!.profile === 'hik-access')!;
    const stream = new FreshStream(c.fresh!, c.payloads);
    for (let n = 0; n < c.payloads.length; n++) stream.next(0);
    const at = Date.UTC(2026, 11, 1, 8, 30, 15, 250);
    const dev = site.config.devices.find((d) => d.id === c.clientId)!;
    const r = decode(dev.profile, 'events', Buffer.from(stream.next(at)), { device: dev.id, kind: dev.kind, timezone: '+08:00', receivedAt: at });
    if (!r.ok) throw new Error(r.code);
    expect(Math.floor(r.drafts[0]!.deviceTime / 1000)).toBe(Math.floor(at / 1000));
  });

  it('starts with the fixture payloads byte for byte and keeps their shape afterwards', () => {
    for (const c of site.clients) {
      const stream = new FreshStream(c.fresh!, c.payloads);
      const now = Date.UTC(2026, 11, 1, 8);
      for (let n = 0; n < c.payloads.length; n++) expect(stream.next(now)).toBe(c.payloads[n]);
      for (let n = 0; n < c.payloads.length * 2; n++) stream.next(now);
      const later = String(stream.next(now));
      const first = c.payloads[0]!;
      expect(later.length).toBeGreaterThan(first.length * 0.7);
      expect(later.length).toBeLessThan(first.length * 1.3);
      if (first.startsWith('{')) expect(Object.keys(JSON.parse(later)).sort()).toEqual(Object.keys(JSON.parse(first)).sort());
    }
  });
});
