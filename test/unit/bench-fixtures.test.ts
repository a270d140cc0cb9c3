import { describe, expect, it } from 'vitest';
import { BUSY_EVERY, benchSite } from '../../bench/suites/fixtures.ts';

describe('benchmark load shape', () => {
  it('makes one device in ten busy and runs the rest at their kind’s real rate', () => {
    const site = benchSite({ devices: 60, edgeId: 'edge-t', hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/nonexistent' });
    const busy = site.clients.filter((c) => c.ratePerSecond === undefined);
    const quiet = site.clients.filter((c) => c.ratePerSecond !== undefined);
    expect(busy.length).toBe(Math.ceil(site.clients.length / BUSY_EVERY));
    expect(quiet.length).toBe(site.clients.length - busy.length);
    // Real devices publish a few times an hour to a few times a minute, never many per second.
    for (const c of quiet) {
      expect(c.ratePerSecond!).toBeGreaterThan(0);
      expect(c.ratePerSecond!).toBeLessThan(1);
    }
    for (const c of site.clients) expect(c.payloads.length).toBeGreaterThan(0);
  });

  it('can make every device busy (busyEvery 1)', () => {
    const site = benchSite({ devices: 20, edgeId: 'edge-t', hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/nonexistent', busyEvery: 1 });
    expect(site.clients.every((c) => c.ratePerSecond === undefined)).toBe(true);
  });
});
