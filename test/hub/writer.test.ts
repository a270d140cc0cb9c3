import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IngestDb } from '../../hub/store/ingestDb.ts';
import { InfluxWriter, WRITER_DEFAULTS } from '../../hub/store/influxWriter.ts';
import { tempDir } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('influx writer when idle', () => {
  it('keeps one wake-up timer per worker, however long it idles', async () => {
    vi.useFakeTimers();
    const store = new IngestDb(join(tempDir(), 'ingest.db'));
    // nothing queued, so the target is never contacted
    const w = new InfluxWriter(store, { url: 'http://127.0.0.1:9', database: 'x' }, { ...WRITER_DEFAULTS, concurrency: 3 }, {
      written() {}, deadLetters() {}, state() {},
    });
    w.start();
    for (let s = 0; s < 12; s++) {
      await vi.advanceTimersByTimeAsync(1000);
      if (s % 3 === 0) w.kick();
    }
    // A timer that woke every worker used to double the timers each second (thousands by now).
    expect(vi.getTimerCount()).toBeLessThanOrEqual(3);
    const stopped = w.stop(1000);
    await vi.advanceTimersByTimeAsync(1000);
    await stopped;
    store.close();
  });
});
