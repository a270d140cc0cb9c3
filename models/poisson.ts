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
  const p = poissonTail(n, Math.max(lambda, 1e-12));
  return p <= 0 ? cap : Math.min(cap, -Math.log10(p));
}
