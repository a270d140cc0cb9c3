import type { Event } from '../../protocol/event.ts';

/** A fixed-size ring of the newest committed events for `GET /events/recent` (memory bounded). */
export class RecentEvents {
  private readonly buf: (Event | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly capacity = 500) {
    this.buf = new Array(capacity);
  }

  push(events: readonly Event[]): void {
    for (const e of events) {
      this.buf[this.next] = e;
      this.next = (this.next + 1) % this.capacity;
      if (this.count < this.capacity) this.count++;
    }
  }

  /** Newest first. */
  list(limit: number): Event[] {
    const n = Math.min(limit, this.count);
    const out: Event[] = [];
    for (let i = 1; i <= n; i++) out.push(this.buf[(this.next - i + this.capacity) % this.capacity] as Event);
    return out;
  }
}
