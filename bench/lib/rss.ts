import { readFileSync } from 'node:fs';

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in MiB (Linux /proc; NaN elsewhere). */
export function rssMiB(pid: number = process.pid): number {
  return statusMiB(pid, 'VmRSS');
}

/**
 * The kernel's high-water mark of a process's resident set since it started (VmHWM), in MiB.
 * Samples every few seconds miss short peaks between them (a soak sampled 296 MiB at most while
 * VmHWM read 330), so a memory target is judged on this, not on the samples.
 */
export function rssHighWaterMiB(pid: number = process.pid): number {
  return statusMiB(pid, 'VmHWM');
}
