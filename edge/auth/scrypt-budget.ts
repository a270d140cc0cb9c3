import { verifyPassword } from '../../common/password.ts';

/**
 * A separate concurrency budget for password checks (issue 12). scrypt runs on libuv's thread
 * pool, which has 4 threads and is shared with the outbox's WAL fsync (outbox/wal-sync.ts): ~30
 * wrong-password CONNECTs/s took every thread and raised other devices' PUBACK p50 from ~10 ms
 * to ~550 ms. At most `concurrency` checks run at once (default 1: three threads stay free for
 * the fsync); at most `maxQueue` wait; beyond that a check is refused as busy, not queued.
 */
export class ScryptBudget {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency = 1, private readonly maxQueue = 512) {}

  /** true / false: the password matches or not; 'busy': too many checks waiting, none was run. */
  async verify(password: string | Buffer, hash: string): Promise<boolean | 'busy'> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) return 'busy';
      await new Promise<void>((r) => this.waiting.push(r));
    } else {
      this.running++;
    }
    try {
      return await verifyPassword(password, hash);
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), else free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
