/** Resource readings of a child process from /proc (Linux): resident memory in bytes. */
import { readFileSync } from 'node:fs';

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Lines a crashed or misbehaving Node process prints. */
export const crashPattern = /unhandled|uncaught|FATAL ERROR|Segmentation|heap out of memory|"level":60/i;

/** Integer from an environment variable (for scaling a suite down locally), else the default. */
export function envCount(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
