import type { Event } from '../../protocol/event.ts';

/**
 * Event bodies serialised before the event reached the committer (by an ingest worker, off the
 * socket thread). The score is added on the main thread after that, as the event's last own
 * property, so `JSON.stringify(e)` of a scored event is the unscored text with `,"score":…`
 * spliced in before its closing brace: the committer does that splice instead of serialising
 * the whole event again. A WeakMap rather than a property: the body must never end up inside
 * the event (or its JSON) itself.
 */
const preset = new WeakMap<Event, string>();

/** `body` must be `JSON.stringify(e)` of `e` as it is now, without a score. */
export function presetBody(e: Event, body: string): void {
  preset.set(e, body);
}

/** The outbox body of `e`: exactly `JSON.stringify(e)`, from the preset text when there is one. */
export function bodyOf(e: Event): string {
  const pre = preset.get(e);
  if (pre === undefined) return JSON.stringify(e);
  if (e.score === undefined) return pre;
  return `${pre.slice(0, -1)},"score":${JSON.stringify(e.score)}}`;
}
