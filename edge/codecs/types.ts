import type { DeviceKind, EventType, Severity } from '../../protocol/devices.ts';

/** What a codec knows besides the bytes: who sent them, the site's clock offset, arrival time. */
export interface CodecContext {
  device: string;
  kind: DeviceKind;
  /** Site UTC offset for device times that carry none, e.g. "+08:00". */
  timezone: string;
  /** Edge receive time, epoch ms (used when a payload carries no time at all, e.g. `state`). */
  receivedAt: number;
}

/** One canonical event before the edge adds ids, compound/district and privacy. */
export interface EventDraft {
  kind: DeviceKind;
  type: EventType;
  severity: Severity;
  deviceTime: number;
  attributes: Record<string, string | number | boolean>;
}

export type CodecCode = 'SS_CODEC_JSON' | 'SS_CODEC_XML' | 'SS_CODEC_SHAPE' | 'SS_CODEC_UNKNOWN_CODE' | 'SS_CODEC_TIME' | 'SS_CODEC_STATE';

export type DecodeResult = { ok: true; drafts: EventDraft[] } | { ok: false; code: CodecCode; reason: string };

/** A codec is pure: same bytes and context, same result; it never throws (the registry guards that). */
export type Codec = (payload: Buffer, ctx: CodecContext) => DecodeResult;

export function fail(code: CodecCode, reason: string): DecodeResult {
  return { ok: false, code, reason };
}

export function ok(drafts: EventDraft[]): DecodeResult {
  return { ok: true, drafts };
}
