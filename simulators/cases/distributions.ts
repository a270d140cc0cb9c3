import type { Rng } from '../random.ts';

/**
 * Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 by the boost
 * Gamma(k) = Gamma(k + 1) · U^(1/k). Used as the mixing law that turns Poisson counts into
 * negative-binomial ones (DOMAIN.md: overdispersed case counts with compound risk).
 */
export function gamma(rng: Rng, shape: number, scale = 1): number {
  if (shape < 1) {
    const u = 1 - rng.next();
    return gamma(rng, shape + 1, scale) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
  }
}

/** A risk multiplier with mean 1 and variance 1/shape (small shape = heavy tail). */
export function riskFactor(rng: Rng, shape: number): number {
  return gamma(rng, shape, 1 / shape);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
