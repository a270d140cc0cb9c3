import { fail, ok, type Codec } from './types.ts';

/**
 * `state` channel: plain text `online` / `offline` (devices set `offline` as their MQTT Last Will).
 * The text has no time, so the edge receive time is the device time.
 */
export const state: Codec = (payload, ctx) => {
  const text = payload.length <= 16 ? payload.toString('utf8').trim().toLowerCase() : '';
  if (text !== 'online' && text !== 'offline') return fail('SS_CODEC_STATE', `state must be 'online' or 'offline'`);
  return ok([{ kind: ctx.kind, type: text, severity: 'info', deviceTime: ctx.receivedAt, attributes: { source: 'device' } }]);
};
