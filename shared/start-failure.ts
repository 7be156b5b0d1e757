/**
 * A daemon that cannot start says why on stderr in one line, with what to try, besides its structured log:
 * an operator reading a terminal or `systemctl status` should not have to read a JSON stack.
 */
import { oneLine } from './errors.js';

/** Hints for the failures an operator can fix, by error code; `flags` names the flag that sets each port. */
export function startFailureLine(command: string, err: unknown, portFlags: Record<number, string> = {}): string {
  const e = err as { code?: unknown; port?: unknown; address?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const where = typeof e?.port === 'number' ? `${typeof e.address === 'string' ? e.address : ''}:${e.port}` : '';
  const flag = typeof e?.port === 'number' ? portFlags[e.port] : undefined;
  let hint = 'see the log for details';
  if (code === 'EADDRINUSE') hint = `port ${where} is in use by another program; stop it or choose another port${flag ? ` (${flag})` : ''}, 0 picks a free one`;
  else if (code === 'EACCES' && where) hint = `not allowed to bind ${where} (ports below 1024 need privileges); choose another port${flag ? ` (${flag})` : ''}`;
  else if (code === 'EADDRNOTAVAIL') hint = `address ${where} is not on this machine; check the host setting`;
  else if (code === 'EACCES' || code === 'EROFS' || code === 'ENOENT') hint = 'check the data directory exists and is writable by this user';
  return `smartmaint ${command}: failed to start: ${oneLine(err)}; ${hint}\n`;
}
