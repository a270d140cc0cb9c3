import type { DeviceKind } from './devices.ts';

/**
 * Vendor payload profiles the product speaks (protocol/VENDORS.md has the field-level spec and
 * one example of each). The simulators encode them and the edge decodes them, independently.
 */
export const VENDOR_PROFILES = {
  'hik-access': 'access',
  'dahua-access': 'access',
  'anpr-json': 'barrier',
  'hikcentral-parking': 'barrier',
  'gbt7946-fence': 'fence',
  'gallagher-energiser': 'fence',
  'hik-camera-alert': 'camera',
  'gb28181-alarm': 'camera',
} as const satisfies Record<string, DeviceKind>;

export type VendorProfile = keyof typeof VENDOR_PROFILES;
export const VENDOR_PROFILE_NAMES = Object.keys(VENDOR_PROFILES) as VendorProfile[];

export function profilesOfKind(kind: DeviceKind): VendorProfile[] {
  return VENDOR_PROFILE_NAMES.filter((p) => VENDOR_PROFILES[p] === kind);
}

export function isVendorProfile(value: unknown): value is VendorProfile {
  return typeof value === 'string' && Object.hasOwn(VENDOR_PROFILES, value);
}
