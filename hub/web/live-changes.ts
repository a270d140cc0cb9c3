import type { HubBus } from '../bus.ts';

/** A compound whose public view may have changed: its rating, or its alarms waiting for an operator. */
export interface LiveChange {
  type: 'rating' | 'alarm';
  compound: string;
}

/** Where the compound page's live stream learns of changes (it then reads the public view again). */
export interface LiveChanges {
  /** Subscribe; returns the unsubscribe function. */
  on(fn: (c: LiveChange) => void): () => void;
}

/** The embedded hub's: its in-process bus. */
export function busChanges(bus: Pick<HubBus, 'on'>): LiveChanges {
  return {
    on: (fn) =>
      bus.on((e) => {
        if (e.type === 'rating' || e.type === 'alarm') fn({ type: e.type, compound: e.compound });
      }),
  };
}

/** Fan one feed out to many subscribers (a listener that throws is dropped, never the feed). */
export class LiveFanout implements LiveChanges {
  private readonly listeners = new Set<(c: LiveChange) => void>();

  on(fn: (c: LiveChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(c: LiveChange): void {
    for (const fn of this.listeners) {
      try {
        fn(c);
      } catch {
        this.listeners.delete(fn);
      }
    }
  }
}
