import { format, stripVTControlCharacters } from 'node:util';
import { setDebugLogger, setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from 'pino';

type Ctx = { filename?: string; callerline?: number };

/**
 * node-opcua prints its warnings and errors with console.log: coloured, multi-line text on
 * stdout, which carries only the edge's one ready line, among JSON logs (issue 16). Route them
 * into the edge's pino logger instead: one JSON line each, colour codes stripped. The hooks are
 * process-wide in node-opcua, so with several edges in one process (tests) the last one started
 * receives them.
 */
export function routeOpcuaLogs(log: Logger): void {
  const to = (level: 'debug' | 'warn' | 'error') => (first: unknown, ...args: unknown[]): void => {
    // node-opcua passes its caller's file and line first (typed as unknown in its PrintFunc).
    const ctx = (first ?? {}) as Ctx;
    log[level]({ source: 'node-opcua', file: ctx?.filename, line: ctx?.callerline }, stripVTControlCharacters(format(...args)).slice(0, 4000));
  };
  setDebugLogger(to('debug'));
  setWarningLogger(to('warn'));
  setErrorLogger(to('error'));
}
