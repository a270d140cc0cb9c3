/** P(X ≥ n) for X ~ Poisson(λ), stable for the small n and λ seen per device-window. */
export function poissonTail(n: number, lambda: number): number {
  if (n <= 0) return 1;
  // 1 − P(X ≤ n−1); for tiny tails sum the upper terms directly instead (no cancellation).
  let term = Math.exp(-lambda);
  let cdf = term;
  for (let k = 1; k < n; k++) {
    term *= lambda / k;
    cdf += term;
  }
  const tail = 1 - cdf;
  if (tail > 1e-9) return tail;
  let t = term * (lambda / n); // P(X = n)
  let sum = 0;
  for (let k = n; k < n + 200 && t > 0; k++) {
    sum += t;
    t *= lambda / (k + 1);
  }
  return sum;
}

/** −log10 P(X ≥ n | λ), capped: "how many orders of magnitude unlikely is this count". */
export function poissonSurprise(n: number, lambda: number, cap = 30): number {
  const l = Math.max(lambda, 1e-12);
  // Past the cap the answer is the cap: stop before poissonTail's O(n) sums (a busy device's
  // window count runs into the thousands, issue 14 profile; below 16 the sums are cheaper than
  // the check). For n > λ + 1 the tail is at most
  // P(X = n) / (1 − λ/(n+1)); one order of magnitude of margin keeps the result equal to what
  // the sums give (test/models/poisson-cap.test.ts compares them).
  if (n >= 16 && Number.isInteger(n) && n > l + 1 && log10PoissonTailBound(n, l) < -(cap + 1)) return cap;
  const p = poissonTail(n, l);
  return p <= 0 ? cap : Math.min(cap, -Math.log10(p));
}

/** log10 of an upper bound of P(X ≥ n) for n > λ + 1: log10 P(X = n) − log10(1 − λ/(n+1)). */
function log10PoissonTailBound(n: number, lambda: number): number {
  return (-lambda + n * Math.log(lambda) - lnFactorial(n) - Math.log(1 - lambda / (n + 1))) / Math.LN10;
}

/** ln n!: exact sum below 10, Stirling's series above (error < 1e-10 there). */
function lnFactorial(n: number): number {
  if (n < 10) {
    let s = 0;
    for (let k = 2; k <= n; k++) s += Math.log(k);
    return s;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n * n * n);
}
