/**
 * The hub's one event bus: rating changes, device alarms, dead letters and edge connections are
 * published here, and the live views (hub/web/sse.ts) subscribe. In-process and synchronous: a
 * subscriber must be cheap and must not throw (a throwing one is dropped, never the publisher).
 */
export type HubEvent =
  | { type: 'rating'; compound: string; district: string; fromStars: number | null; stars: number | null; index: number; at: number; trigger: string }
  | { type: 'alarm'; id: string; compound: string; device: string; kind: string; status: 'pending' | 'confirmed' | 'dismissed'; at: number }
  | { type: 'deadletters'; counts: Record<string, number>; at: number }
  | { type: 'edge'; edge: string; state: 'online' | 'offline'; at: number };

export type HubListener = (e: HubEvent) => void;

export class HubBus {
  private readonly listeners = new Set<HubListener>();

  /** Subscribe; returns the unsubscribe function. */
  on(fn: HubListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(e: HubEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // A broken live view must not break ingest or a case post: drop that subscriber.
        this.listeners.delete(fn);
      }
    }
  }
}
