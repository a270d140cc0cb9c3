import type { DeviceChannel } from '../../protocol/topics.ts';
import type { SiteDevice } from '../../protocol/site.ts';

/** What an ingest worker needs to run `ingest` exactly as the socket thread would. */
export interface IngestWorkerData {
  edge: string;
  timezone: string;
  maxPayloadBytes: number;
  maxSkewMs: number;
  /** The site's privacy key (the HMAC of cards and plates is computed in the worker). */
  privacyKey: string;
  devices: Array<{ device: SiteDevice; district: string }>;
  /** Each device's last clock-suspect stand-in so far (edge-time.ts); the pool adds it per start. */
  standIns?: Array<[string, number]>;
}

/**
 * One batch: the payloads concatenated into one transferred buffer (a copy per payload would
 * be a structured clone per message); `items[i]` = [device id, channel, payload start, end, receivedAt].
 */
export interface IngestBatch {
  t: 'batch';
  id: number;
  buf: ArrayBuffer;
  items: Array<[string, DeviceChannel, number, number, number]>;
}

/**
 * Per message: each event's body (`JSON.stringify` before any score), or why it is a dead
 * letter. Only the text crosses: the main thread gets the objects back with `JSON.parse`, which
 * costs less there than receiving structured-cloned objects (measured, edge/README.md).
 */
export type IngestReply =
  | { ok: true; bodies: string[] }
  | { ok: false; code: string; reason: string };

export interface IngestDone {
  t: 'done';
  id: number;
  results: IngestReply[];
}
