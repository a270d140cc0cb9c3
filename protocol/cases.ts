/**
 * The case contract between departments (and the simulators that stand in for them) and the hub's
 * safety index: what a case, a confirmed device alarm and a compound are to the index. Times are
 * epoch ms. The simulators and the hub both import this; product code never imports simulators/.
 */

/** A case as a department posted it (the hub's current version of it). */
export interface CaseRecord {
  id: string;
  department: string;
  category: string;
  compound: string;
  occurredAt: number;
  registeredAt: number;
  status: string;
  /**
   * When the hub first learned of the case. Effects start at max(registeredAt, receivedAt) so a
   * replay reproduces what was knowable at each review; decay still runs from occurredAt.
   */
  receivedAt?: number;
}

/** A device alarm an operator (or video) confirmed; dismissed and pending alarms never score. */
export interface ConfirmedAlarm {
  id: string;
  compound: string;
  /** Canonical event type, e.g. 'fence-alarm', 'door-forced'. */
  type: string;
  occurredAt: number;
  confirmedAt: number;
}

export interface CompoundRef {
  id: string;
  district: string;
  households: number;
}
