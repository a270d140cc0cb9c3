/** ln k! for k < LN_FACT_SIZE (exact sums), Stirling's series beyond. */
const LN_FACT_SIZE = 1024;
const LN_FACT = new Float64Array(LN_FACT_SIZE);
for (let k = 1; k < LN_FACT_SIZE; k++) LN_FACT[k] = LN_FACT[k - 1]! + Math.log(k);
function lnFactorial(n: number): number {
  if (n < LN_FACT_SIZE) return LN_FACT[n]!;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n);
}

/** ln P(X = k) for X ~ Poisson(λ). */
function lnPmf(k: number, lambda: number): number {
  return -lambda + k * Math.log(lambda) - lnFactorial(k);
}

/** Relative size below which further terms no longer matter (features are float32). */
const REL_EPS = 1e-12;

/**
 * P(X ≥ n) for X ~ Poisson(λ). Sums from P(X = n) (or P(X = n − 1)) outward, away from the mode,
 * where the terms fall at least geometrically, and stops once they no longer change the sum: a
 * few √λ terms whatever n is (1 − CDF summed from 0 cost n terms, the cost of busy devices and
 * compounds). Tails far past 1e-30 never get here (see poissonSurprise).
 */
export function poissonTail(n: number, lambda: number): number {
  if (n <= 0) return 1;
  if (lambda <= 0) return 0;
  if (n > lambda) {
    let t = Math.exp(lnPmf(n, lambda));
    let sum = 0;
    for (let k = n; t > sum * REL_EPS; k++) {
      sum += t;
      t *= lambda / (k + 1);
    }
    return Math.min(1, sum);
  }
  // n ≤ λ: P(X ≥ n) = 1 − P(X ≤ n − 1), the lower terms summed down from n − 1.
  let t = Math.exp(lnPmf(n - 1, lambda));
  let low = 0;
  for (let k = n - 1; k >= 0 && t > low * REL_EPS; k--) {
    low += t;
    t *= k / lambda;
  }
  return Math.max(0, 1 - low);
}

/**
 * log10 of an upper bound of P(X ≥ n) for n + 1 > λ: P(X = n) · (n + 1) / (n + 1 − λ) (the upper
 * terms fall at least geometrically with ratio λ / (n + 1)). O(1), no loop over n.
 */
function log10TailBound(n: number, lambda: number): number {
  const lnPn = -lambda + n * Math.log(lambda) - lnFactorial(n);
  return (lnPn + Math.log((n + 1) / (n + 1 - lambda))) / Math.LN10;
}

/**
 * −log10 P(X ≥ n | λ), capped: "how many orders of magnitude unlikely is this count". Once the
 * bound says the count is already past the cap (a storm, a burst on a quiet device) it returns
 * the cap without summing n terms: the value is the same, the cost no longer grows with n.
 */
export function poissonSurprise(n: number, lambda: number, cap = 30): number {
  const lam = Math.max(lambda, 1e-12);
  if (n > 0 && n + 1 > lam && log10TailBound(n, lam) <= -cap) return cap;
  const p = poissonTail(n, lam);
  return p <= 0 ? cap : Math.min(cap, -Math.log10(p));
}

