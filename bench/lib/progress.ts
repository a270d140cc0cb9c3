/** One live progress line on stderr (overwritten in place on a TTY, plain lines otherwise). */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}
