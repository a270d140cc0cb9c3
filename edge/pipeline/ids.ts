/**
 * Event ids minted at the edge: `${edge}.${ms base36}.${boot base36}-${counter base36}`.
 * `boot` is a counter persisted in the outbox and bumped at every start, so a restart (even with
 * the clock set back) never reuses an id; the counter makes ids unique within one start.
 * Max length: 64 (edge) + 1 + 9 + 1 + 7 + 1 + 11 = 94 ≤ 100 (Event v1 id pattern).
 */
export function createIdMinter(edgeId: string, boot: number, clock: () => number): () => string {
  const bootPart = boot.toString(36);
  let counter = 0;
  return () => `${edgeId}.${clock().toString(36)}.${bootPart}-${(counter++).toString(36)}`;
}
