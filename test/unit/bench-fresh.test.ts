import { describe, expect, it } from 'vitest';
import { benchSite } from '../../bench/suites/fixtures.ts';
import { freshPayload } from '../../bench/loadgen/fresh.ts';
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
      for (let n = 0; n < total; n++) {
        const payload = Buffer.from(freshPayload(src, c.payloads, n));
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

  it('starts with the fixture payloads byte for byte and keeps their shape afterwards', () => {
    for (const c of site.clients) {
      for (let n = 0; n < c.payloads.length; n++) expect(freshPayload(c.fresh!, c.payloads, n)).toBe(c.payloads[n]);
      const later = String(freshPayload(c.fresh!, c.payloads, c.payloads.length * 3));
      const first = c.payloads[0]!;
      expect(later.length).toBeGreaterThan(first.length * 0.7);
      expect(later.length).toBeLessThan(first.length * 1.3);
      if (first.startsWith('{')) expect(Object.keys(JSON.parse(later)).sort()).toEqual(Object.keys(JSON.parse(first)).sort());
    }
  });
});
