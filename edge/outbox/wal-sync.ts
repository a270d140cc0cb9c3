import { close, fsync, openSync } from 'node:fs';

/**
 * Group fsync of a SQLite WAL file off the event loop (issue 7). With synchronous=FULL every
 * commit fsyncs inside better-sqlite3's synchronous call: 5-10 ms per group commit (and per
 * uplink delete) during which the edge's only thread reads no socket and runs no codec. Instead
 * the outbox commits with synchronous=NORMAL (frames written to the WAL, no fsync) and this
 * fsyncs the WAL on libuv's thread pool; the committer sends PUBACKs only when `sync()` resolves.
 * That is the same promise FULL makes (in WAL mode FULL = "fsync the WAL after each commit"),
 * while the loop keeps working on the next batch.
 *
 * `sync()` resolves after an fsync that STARTED after the call, so it covers every frame written
 * before it. Calls that arrive while one fsync runs share the next one (one fsync per wave, not
 * per caller).
 */
export class WalSync {
  private readonly fd: number;
  private inFlight: Promise<void> | undefined;
  private waiting: Promise<void> | undefined;
  private closed = false;

  constructor(walFile: string) {
    // fsync flushes the file (inode), whichever descriptor asks; SQLite keeps its WAL file (same
    // inode) for as long as its connection is open, also across checkpoints and WAL restarts.
    this.fd = openSync(walFile, 'r');
  }

  /** Resolves when everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (this.waiting) return this.waiting;
    const running = this.inFlight;
    if (!running) return this.begin();
    // The running fsync may have started before our write: wait for it, then start a new one.
    this.waiting = running.then(
      () => this.next(),
      () => this.next(),
    );
    return this.waiting;
  }

  private next(): Promise<void> {
    this.waiting = undefined;
    return this.begin();
  }

  private begin(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('SS_EDGE_OUTBOX_CLOSED: the outbox is closed; the write was not confirmed durable'));
    const p = new Promise<void>((resolve, reject) => {
      fsync(this.fd, (err) => (err ? reject(new Error(`SS_EDGE_OUTBOX_FSYNC: ${err.message}; check the disk`)) : resolve()));
    });
    this.inFlight = p;
    const clear = (): void => {
      if (this.inFlight === p) this.inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  /** Close the descriptor once the running fsync (if any) is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    const done = (): void => close(fd, () => undefined);
    if (this.inFlight) this.inFlight.then(done, done);
    else done();
  }
}
