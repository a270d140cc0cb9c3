import { readFileSync } from 'node:fs';

/** utime+stime of a process in µs (Linux /proc; 0 elsewhere). */
export function procCpuUs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10_000; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}
