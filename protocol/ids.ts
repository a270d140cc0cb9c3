/**
 * Identifiers that reach an MQTT topic level or an InfluxDB tag must be safe in both:
 * no '/', '+', '#' (topic grammar), no spaces, commas, '=' or newlines (line protocol),
 * bounded length. The influx client escapes none of the newline cases, so we refuse them here.
 */
export const ID_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
const ID_RE = new RegExp(ID_PATTERN);

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}
