import { DEVICE_CHANNELS, type DeviceChannel } from '../../protocol/topics.ts';
import type { DeviceEntry } from './registry.ts';

/**
 * Topic ACL: a device publishes only `{its prefix}{events|heartbeat|state}` and subscribes only
 * inside its prefix. The prefix is built from the config (compound, kind, id), so a device
 * cannot speak for another device, another kind or another compound. Topics are compared as
 * strings: anything with a byte outside the strict id alphabet (including invalid UTF-8, which
 * the MQTT parser turns into U+FFFD) can never equal a configured prefix.
 */
export function publishChannel(entry: DeviceEntry, topic: string): DeviceChannel | undefined {
  if (!topic.startsWith(entry.prefix)) return undefined;
  const rest = topic.slice(entry.prefix.length);
  return (DEVICE_CHANNELS as readonly string[]).includes(rest) ? (rest as DeviceChannel) : undefined;
}

export function subscribeAllowed(entry: DeviceEntry, filter: string): boolean {
  // '#' or '+' before the end of the prefix would widen the filter past the device's own topics.
  return filter.startsWith(entry.prefix) && !filter.includes('\uFFFD');
}
