import { encoderFor, type EncodeContext, type Intent } from '../../simulators/vendors/index.ts';

/**
 * What a load-generator client needs to make fresh device messages without limit: one cycle of
 * the device's own intents (from the simulators' traffic generator) and its encoding context.
 * Cycle 0 is the fixture's own payloads. Message n of a later cycle is intent n mod k, encoded
 * by the vendor's encoder with serial n + 1 at its own whole second of device time, so later
 * cycles have the same payload shapes and never repeat a device message: the edge names a
 * serial-less message by its bytes and device time (edge/pipeline/ids.ts), and several formats
 * carry that time to the second only.
 */
export interface FreshSource {
  ctx: Omit<EncodeContext, 'seq'>;
  intents: Intent[];
  /** Device time of cycle 1's first message: a whole second past every device time of cycle 0. */
  startMs: number;
}

/** Cycle 1 starts on the first whole second after cycle 0's last device time. */
export function freshStartMs(intents: readonly Intent[]): number {
  let hi = 0;
  for (const i of intents) hi = Math.max(hi, i.deviceTime);
  return (Math.floor(hi / 1000) + 1) * 1000;
}

/** Message `n` of a source (n ≥ 0): `first[n]` while there is one, then encoded on demand. */
export function freshPayload(src: FreshSource, first: readonly string[], n: number): string | Buffer {
  if (n < first.length) return first[n]!;
  const k = src.intents.length;
  const base = src.intents[n % k]!;
  // One message per second of device time after cycle 0; true time keeps the same offset.
  const deviceTime = src.startMs + (n - first.length) * 1000;
  const intent: Intent = { ...base, time: base.time + (deviceTime - base.deviceTime), deviceTime };
  return encoderFor(src.ctx.device.profile).encode(intent, { ...src.ctx, seq: n + 1 }).payload;
}
