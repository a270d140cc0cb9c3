import type { ScenarioContext } from '../../../simulators/scenarios/context.ts';
import type { CityDevice } from '../../../protocol/city.ts';
import type { EventType } from '../../../protocol/devices.ts';
import { encoderFor, type Attributes } from '../../../simulators/vendors/index.ts';

/**
 * Emit only what the device's vendor can carry (a variant must never produce an unencodable
 * message). Its own module so catalogue.ts and blind.ts share it without importing each other.
 */
export function emitIf(c: ScenarioContext, d: CityDevice, at: number, type: EventType, attrs: Attributes): boolean {
  if (!encoderFor(d.profile).supports.has(type)) return false;
  c.emit(d, at, type, attrs);
  return true;
}
