import { describe, expect, it } from 'vitest';
import { EdgeTimeStandIn } from '../../edge/pipeline/edge-time.ts';

/** The clock-suspect stand-in (edge-time.ts): per device, never one ms twice; the receive time when it can. */
describe('edge-time stand-in', () => {
  const T = Date.now();

  it('is the receive time when the device has no later stand-in; the next free ms when it has', () => {
    const s = new EdgeTimeStandIn();
    expect([s.next('a', T), s.next('a', T), s.next('a', T), s.next('a', T + 1)]).toEqual([T, T + 1, T + 2, T + 3]);
    // Caught up: back to the receive time.
    expect(s.next('a', T + 10)).toBe(T + 10);
    // Another device has its own ms.
    expect(s.next('b', T)).toBe(T);
  });

  it('does not repeat a ms when the edge clock steps back', () => {
    const s = new EdgeTimeStandIn();
    expect(s.next('a', T)).toBe(T);
    expect(s.next('a', T - 5000)).toBe(T + 1);
  });

  it('continues after stand-ins observed from elsewhere and from a snapshot, never before them', () => {
    const s = new EdgeTimeStandIn();
    s.observe('a', T + 7);
    s.observe('a', T + 3); // older: ignored
    expect(s.next('a', T)).toBe(T + 8);
    const copy = new EdgeTimeStandIn(s.snapshot());
    expect(copy.next('a', T)).toBe(T + 9);
    expect(copy.next('b', T)).toBe(T);
  });
});
