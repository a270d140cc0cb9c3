import { hash32 } from '../random.ts';
import { isoWithOffset } from './common.ts';
import type { EncodeContext, Encoded, Intent } from './types.ts';

/**
 * Heartbeat channel, any profile (VENDORS.md): `{"ts": epoch ms | ISO 8601, "uptimeS"?, "rssi"?,
 * "battery"?, "fw"?}` → one `heartbeat` event. Half the fleet sends ISO times, half epoch ms.
 */
export function encodeHeartbeat(intent: Intent, ctx: EncodeContext, startedAt: number): Encoded {
  const h = hash32(ctx.device.id);
  const payload: Record<string, unknown> = {
    ts: h % 2 === 0 ? intent.deviceTime : isoWithOffset(intent.deviceTime, ctx.tzOffsetMinutes, true),
    uptimeS: Math.max(0, Math.floor((intent.time - startedAt) / 1000)),
  };
  if (ctx.device.kind === 'camera' || ctx.device.kind === 'access') payload['rssi'] = -40 - (hash32(`${ctx.device.id}:${ctx.seq}`) % 30);
  if (ctx.device.kind === 'fence') payload['battery'] = 80 + (h % 20);
  payload['fw'] = `V${1 + (h % 4)}.${h % 10}.${(h >>> 4) % 20}`;
  return { payload: JSON.stringify(payload), expectedEvents: 1 };
}

/** State channel: plain `online` / `offline` → one event each. */
export function encodeState(state: 'online' | 'offline'): Encoded {
  return { payload: state, expectedEvents: 1 };
}
