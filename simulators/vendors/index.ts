import type { VendorProfile } from '../../protocol/vendors.ts';
import { anprJson } from './anpr-json.ts';
import { dahuaAccess } from './dahua-access.ts';
import { gallagherEnergiser } from './gallagher-energiser.ts';
import { gb28181Alarm } from './gb28181-alarm.ts';
import { gbt7946Fence } from './gbt7946-fence.ts';
import { hikAccess } from './hik-access.ts';
import { hikCameraAlert } from './hik-camera-alert.ts';
import { hikcentralParking } from './hikcentral-parking.ts';
import type { ProfileEncoder } from './types.ts';

/** One encoder per vendor profile (protocol/vendors.ts), picked by the device's profile. */
export const ENCODERS: Readonly<Record<VendorProfile, ProfileEncoder>> = {
  'hik-access': hikAccess,
  'dahua-access': dahuaAccess,
  'anpr-json': anprJson,
  'hikcentral-parking': hikcentralParking,
  'gbt7946-fence': gbt7946Fence,
  'gallagher-energiser': gallagherEnergiser,
  'hik-camera-alert': hikCameraAlert,
  'gb28181-alarm': gb28181Alarm,
};

export function encoderFor(profile: VendorProfile): ProfileEncoder {
  return ENCODERS[profile];
}

export { encodeHeartbeat, encodeState } from './heartbeat.ts';
export type { Attributes, BadKind, EncodeContext, Encoded, Intent, IntentEvent, ProfileEncoder } from './types.ts';
