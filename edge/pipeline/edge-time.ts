/**
 * The time the edge stores for an event whose device clock it does not trust (clock trust,
 * `clockSuspect` in ingest.ts): the receive time, moved on where needed so that no two such
 * events of one device get the same millisecond.
 *
 * Why: the hub writes each event as an InfluxDB point at deviceTime ms + six digits hashed from
 * the id (hub/store/line.ts `nsTime`, frozen), and InfluxDB keeps one point per series and time.
 * A busy device with a bad clock has many events per receive millisecond; any two of one series
 * whose ids hash to the same of the 10^6 slots were one point (bench/README.md, e2e loss). A
 * device that gives one millisecond twice itself is the device's time and stays as it is (so
 * may a suspect and a trusted event of one device share a ms): line.ts's odds apply to those.
 *
 * next = max(receivedAt, last + 1) per device. The value is decided once, at ingest, and goes
 * into the stored body, so an outbox resend or hub replay carries the same time and still
 * overwrites itself. A device sending more than one suspect event per millisecond for a while runs
 * ahead of the edge clock by the excess (`receivedAt` keeps the true receive time); it falls back
 * to the receive time as soon as it is within one per millisecond again. Keeping `last` also
 * covers the edge clock stepping back (NTP): the device's stand-ins still never repeat.
 *
 * Restart: the map lives in the process, so a restarted edge starts empty and could give a device
 * a millisecond it gave before the restart, but only one inside the lead the device had then
 * (its suspect events in excess of one per ms; with `maxMessagesPerDevicePerSecond` ≤ 1000 and
 * one event per message the token bucket's one-second burst bounds the lead to that many ms, and
 * it shrinks by 1 ms per ms). Only an edge back up within that lead, with the device still
 * bursting, could reuse one, and even then a pair is one point only if the two ids also share a
 * slot (10^-6 per pair): the odds every pair had before this fix, for that window only. Accepted:
 * persisting `last` would cost a write per suspect event on the hot path.
 *
 * Threads (pipeline.workers): a device is pinned to one ingest thread, each thread holds one of
 * these for its devices, and the main thread holds one for the fallback. The pool feeds the main
 * one every stand-in a thread handed back (`observe`) and gives a (re)started thread a copy
 * (`snapshot`), so a retry on the main thread or a restarted thread continues after the last
 * stand-in that was handed back (ingest-pool.ts).
 */
export class EdgeTimeStandIn {
  // One entry per device that has sent a suspect clock. Bounded by the site's registered devices:
  // the key is the registry entry's id (ingest passes `device.id`), never a value from a payload.
  private readonly last = new Map<string, number>();

  constructor(snapshot: ReadonlyArray<readonly [string, number]> = []) {
    for (const [device, ms] of snapshot) this.last.set(device, ms);
  }

  /** The ms to store for the next suspect event of `device`, received at `receivedAt` (ms). */
  next(device: string, receivedAt: number): number {
    const prev = this.last.get(device);
    const t = prev === undefined || receivedAt > prev ? receivedAt : prev + 1;
    this.last.set(device, t);
    return t;
  }

  /** A stand-in given elsewhere (an ingest thread): this one's next for the device comes after it. */
  observe(device: string, ms: number): void {
    const prev = this.last.get(device);
    if (prev === undefined || ms > prev) this.last.set(device, ms);
  }

  /** Every device's last stand-in, to seed another instance (a thread's workerData). */
  snapshot(): Array<[string, number]> {
    return [...this.last];
  }
}
