import { readFileSync } from 'node:fs';

/** utime+stime of a process in µs (Linux /proc; 0 elsewhere). */
export function procCpuUs(pid: number | undefined): number {
  return statCpuUs(pid ? `/proc/${pid}/stat` : undefined);
}

/** utime+stime of this process's main thread only (its event loop), in µs: worker threads excluded. */
export function mainThreadCpuUs(): number {
  return statCpuUs(`/proc/self/task/${process.pid}/stat`);
}

function statCpuUs(file: string | undefined): number {
  if (!file) return 0;
  try {
    const f = readFileSync(file, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10_000; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}
