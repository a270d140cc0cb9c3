import Type from 'typebox';
import { ID_PATTERN } from './ids.ts';
import { DEVICE_KINDS, type DeviceKind } from './devices.ts';
import { VENDOR_PROFILE_NAMES, type VendorProfile } from './vendors.ts';
import { compileChecker } from './validate.ts';

/**
 * A city: what the simulators generate and the hub registers (districts, compounds, devices).
 * `safestar sim city --seed S` must write it byte-identically for the same seed.
 */
export interface CityDevice {
  id: string;
  kind: DeviceKind;
  profile: VendorProfile;
  /** Fence zone or door/lane number, where the kind has one. */
  zone?: number;
  heartbeatSeconds: number;
}

export interface CityCompound {
  id: string;
  name: string;
  district: string;
  households: number;
  lat: number;
  lon: number;
  devices: CityDevice[];
}

export interface CityDistrict {
  id: string;
  name: string;
}

export interface City {
  v: 1;
  seed: number;
  name: string;
  districts: CityDistrict[];
  compounds: CityCompound[];
}

const Id = Type.String({ pattern: ID_PATTERN });

export const CitySchema = Type.Object({
  v: Type.Literal(1),
  seed: Type.Integer(),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  districts: Type.Array(Type.Object({ id: Id, name: Type.String({ maxLength: 100 }) })),
  compounds: Type.Array(
    Type.Object({
      id: Id,
      name: Type.String({ maxLength: 100 }),
      district: Id,
      households: Type.Integer({ minimum: 1 }),
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      devices: Type.Array(
        Type.Object({
          id: Id,
          kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
          profile: Type.Union(VENDOR_PROFILE_NAMES.map((p) => Type.Literal(p))),
          zone: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
          heartbeatSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
        }),
      ),
    }),
  ),
});

export const checkCity = compileChecker<City>(CitySchema);
