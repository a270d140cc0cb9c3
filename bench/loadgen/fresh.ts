import { encoderFor, type EncodeContext, type Intent } from '../../simulators/vendors/index.ts';

/**
 * What a load-generator client needs to make fresh device messages without limit: one cycle of
 * the device's own intents (from the simulators' traffic generator) and its encoding context.
 * A stream first sends the fixture's own payloads, then message n is intent n mod k, encoded by
 * the vendor's encoder with serial n + 1 and the device clock at the send time, as a real device
 * stamps it: the same payload shapes, and never the same device message twice. A device sending
 * faster than one message a second gets one second of device time per message instead (its clock
 * runs ahead), because the edge names a serial-less message by its bytes and device time
 * (edge/pipeline/ids.ts) and several formats carry that time to the second only.
 */
export interface FreshSource {
  ctx: Omit<EncodeContext, 'seq'>;
  intents: Intent[];
}

export class FreshStream {
  private n = 0;
  private lastSecond = -Infinity;

  constructor(private readonly src: FreshSource, private readonly first: readonly string[]) {
    for (const i of src.intents) this.lastSecond = Math.max(this.lastSecond, Math.floor(i.deviceTime / 1000));
  }

  /** The next message, sent at `nowMs` (epoch ms). */
  next(nowMs: number): string | Buffer {
    const n = this.n++;
    if (n < this.first.length) return this.first[n]!;
    const base = this.src.intents[n % this.src.intents.length]!;
    // A whole second after the previous fresh message's (or cycle 0's last) device second.
    const second = Math.max(Math.floor(nowMs / 1000), this.lastSecond + 1);
    this.lastSecond = second;
    const deviceTime = second * 1000 + (nowMs % 1000);
    const intent: Intent = { ...base, time: deviceTime, deviceTime };
    return encoderFor(this.src.ctx.device.profile).encode(intent, { ...this.src.ctx, seq: n + 1 }).payload;
  }
}
