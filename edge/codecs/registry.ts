import type { DeviceChannel } from '../../protocol/topics.ts';
import type { VendorProfile } from '../../protocol/vendors.ts';
import { anprJson } from './anpr-json.ts';
import { dahuaAccess } from './dahua-access.ts';
import { gallagherEnergiser } from './gallagher-energiser.ts';
import { gb28181Alarm } from './gb28181-alarm.ts';
import { gbt7946Fence } from './gbt7946-fence.ts';
import { heartbeat } from './heartbeat.ts';
import { hikAccess } from './hik-access.ts';
import { hikCameraAlert } from './hik-camera-alert.ts';
import { hikcentralParking } from './hikcentral-parking.ts';
import { state } from './state.ts';
import { fail, type Codec, type CodecContext, type DecodeResult } from './types.ts';

/** One pure codec per vendor profile (STYLE.md habit 1); `satisfies` makes a missing profile a type error. */
export const PROFILE_CODECS = {
  'hik-access': hikAccess,
  'dahua-access': dahuaAccess,
  'anpr-json': anprJson,
  'hikcentral-parking': hikcentralParking,
  'gbt7946-fence': gbt7946Fence,
  'gallagher-energiser': gallagherEnergiser,
  'hik-camera-alert': hikCameraAlert,
  'gb28181-alarm': gb28181Alarm,
} as const satisfies Record<VendorProfile, Codec>;

export const CHANNEL_CODECS = { heartbeat, state } as const;

/** The codec for a device's channel: `events` speaks the device's profile, the others are common. */
export function codecFor(profile: VendorProfile, channel: DeviceChannel): Codec {
  return channel === 'events' ? PROFILE_CODECS[profile] : CHANNEL_CODECS[channel];
}

/**
 * Decode, guarding the promise that codecs never throw: a codec bug becomes a dead letter with
 * SS_CODEC_SHAPE instead of a crashed broker callback.
 */
export function decode(profile: VendorProfile, channel: DeviceChannel, payload: Buffer, ctx: CodecContext): DecodeResult {
  try {
    return codecFor(profile, channel)(payload, ctx);
  } catch (e) {
    return fail('SS_CODEC_SHAPE', `codec threw: ${(e as Error).message}`.slice(0, 200));
  }
}
