import { isScorable, type FeatureEvent } from './features.ts';
import type { Severity } from '../protocol/devices.ts';

/** What a detector reads: the feature fields plus the vendor's severity (edge events carry it). */
export type DetectorEvent = FeatureEvent & { severity?: Severity };
import { LruMap } from './windows.ts';
import { poissonTail } from './poisson.ts';

/**
 * The two baselines the model must beat (issue 5). Both are stateful per device, bounded, and
 * return a score per event like the model does, so the same threshold/alert machinery rates all.
 */
export interface Detector {
  readonly name: string;
  /** Score of this event given what came before; null when not scored (heartbeats). */
  push(ev: DetectorEvent): number | null;
}

const WRONG_CREDENTIAL_TYPES = new Set(['denied', 'repeated-denied']);

/**
 * Fixed rules as deployed today: ≥ 5 wrong credentials on one reader within 5 minutes
 * (GB 50396: alarm after at most 5 consecutive wrong credentials; the controller's own
 * `repeated-denied` counts too) and door held open. Score 1 = rule fired, 0 = not.
 */
export class RulesDetector implements Detector {
  readonly name = 'rules';
  private readonly denials = new LruMap<string, number[]>(20_000);
  constructor(readonly wrongCredentials = 5, readonly windowMs = 5 * 60_000) {}

  push(ev: FeatureEvent): number | null {
    if (!isScorable(ev)) return null;
    if (ev.type === 'door-held' || ev.type === 'repeated-denied') return 1;
    if (!WRONG_CREDENTIAL_TYPES.has(ev.type)) return 0;
    const times = (this.denials.get(ev.device) ?? []).filter((t) => ev.deviceTime - t < this.windowMs);
    times.push(ev.deviceTime);
    if (times.length > this.wrongCredentials) times.shift(); // bounded: only the last N matter
    this.denials.set(ev.device, times);
    return times.length >= this.wrongCredentials ? 1 : 0;
  }
}

interface BurstState {
  minute: number;
  count: number;
  lambda: number;
  seen: number;
}

/**
 * Per-device EWMA/Poisson burst detector: λ = EWMA of the device's events per minute (empty
 * minutes included); an event's score is −log10 P(N ≥ n | λ) for the n events so far in its
 * minute. Classic, cheap, blind to *what* happened — only to how much.
 */
export class BurstDetector implements Detector {
  readonly name = 'ewma-poisson';
  private readonly state = new LruMap<string, BurstState>(20_000);
  constructor(readonly alpha = 0.02, readonly lambdaFloor = 0.02) {}

  push(ev: FeatureEvent): number | null {
    if (!isScorable(ev)) return null;
    const minute = Math.floor(ev.deviceTime / 60_000);
    let s = this.state.get(ev.device);
    if (!s) {
      s = { minute, count: 0, lambda: this.lambdaFloor, seen: 0 };
      this.state.set(ev.device, s);
    }
    if (minute > s.minute) {
      // Close the finished minute, then decay through the empty ones.
      s.lambda = (1 - this.alpha) * s.lambda + this.alpha * s.count;
      const empty = Math.min(100_000, minute - s.minute - 1);
      s.lambda *= Math.pow(1 - this.alpha, empty);
      s.minute = minute;
      s.count = 0;
    }
    s.count++;
    s.seen++;
    return -Math.log10(Math.max(poissonTail(s.count, Math.max(this.lambdaFloor, s.lambda)), 1e-300));
  }
}

const SEVERITY_LEVEL: Record<Severity, number> = { info: 0, warning: 1, minor: 2, major: 3, critical: 4 };

/** Vendor severity as a score (info 0 … critical 4): "alert on vendor-critical events" once its threshold is tuned. */
export class SeverityDetector implements Detector {
  readonly name = 'severity';
  push(ev: DetectorEvent): number | null {
    if (!isScorable(ev)) return null;
    return ev.severity === undefined ? 0 : SEVERITY_LEVEL[ev.severity];
  }
}

/**
 * Per-(device, type) EWMA/Poisson: like BurstDetector but each event type of each device keeps
 * its own rate, so six tailgatings are measured against the door's tailgating rate, not against
 * all its passages. `alpha` per minute; never-seen types start at `lambdaFloor`.
 */
export class TypeBurstDetector implements Detector {
  readonly name: string;
  private readonly state = new LruMap<string, BurstState>(100_000);
  constructor(readonly alpha = 0.02, readonly lambdaFloor = 0.001, readonly bucketMs = 10 * 60_000) {
    this.name = `type-poisson-a${alpha}`;
  }

  push(ev: DetectorEvent): number | null {
    if (!isScorable(ev)) return null;
    const bucket = Math.floor(ev.deviceTime / this.bucketMs);
    const key = `${ev.device}|${ev.type}`;
    let s = this.state.get(key);
    if (!s) {
      s = { minute: bucket, count: 0, lambda: this.lambdaFloor, seen: 0 };
      this.state.set(key, s);
    }
    if (bucket > s.minute) {
      s.lambda = (1 - this.alpha) * s.lambda + this.alpha * s.count;
      s.lambda *= Math.pow(1 - this.alpha, Math.min(100_000, bucket - s.minute - 1));
      s.minute = bucket;
      s.count = 0;
    }
    s.count++;
    return -Math.log10(Math.max(poissonTail(s.count, Math.max(this.lambdaFloor, s.lambda)), 1e-300));
  }
}
