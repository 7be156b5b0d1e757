/**
 * Process and host figures for /api/v1/metrics/system: CPU (process share since the last look, load average),
 * memory, event-loop delay (perf_hooks histogram, owned and reset here), and the data disk (statfs).
 */
import { statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { round3 } from './api-stats.js';

export interface SystemSnapshot {
  cpu: { cores: number; processPercent: number; loadAverage: number[] };
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; systemTotalBytes: number; systemFreeBytes: number };
  eventLoop: { lagMeanMs: number; lagP50Ms: number; lagP99Ms: number; lagMaxMs: number; utilization: number | null };
  disk: { path: string; totalBytes: number; freeBytes: number; availableBytes: number; usedPercent: number } | { path: string; error: string };
  uptimeSeconds: number;
}

export class SystemMonitor {
  readonly #dataDir: string;
  readonly #clock: () => number;
  #histogram: IntervalHistogram | undefined;
  #lastCpu = process.cpuUsage();
  #lastCpuAt = 0;
  #lastElu = globalThis.performance.eventLoopUtilization();

  constructor(deps: { dataDir: string; clock: () => number }) {
    this.#dataDir = deps.dataDir;
    this.#clock = deps.clock;
  }

  start(): void {
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#lastCpu = process.cpuUsage();
    this.#lastCpuAt = this.#clock();
  }

  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  /** Figures since the previous snapshot (CPU share, event-loop delay), then starts a new interval. */
  async snapshot(): Promise<SystemSnapshot> {
    const now = this.#clock();
    const cpu = process.cpuUsage(this.#lastCpu);
    const elapsedMs = Math.max(1, now - this.#lastCpuAt);
    this.#lastCpu = process.cpuUsage();
    this.#lastCpuAt = now;
    const elu = globalThis.performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = globalThis.performance.eventLoopUtilization();
    const h = this.#histogram;
    const ms = (ns: number): number => round3(Number.isFinite(ns) ? ns / 1e6 : 0);
    const eventLoop = h && h.count > 0
      ? { lagMeanMs: ms(h.mean), lagP50Ms: ms(h.percentile(50)), lagP99Ms: ms(h.percentile(99)), lagMaxMs: ms(h.max), utilization: round3(elu.utilization) }
      : { lagMeanMs: 0, lagP50Ms: 0, lagP99Ms: 0, lagMaxMs: 0, utilization: round3(elu.utilization) };
    h?.reset();
    const mem = process.memoryUsage();
    let disk: SystemSnapshot['disk'];
    try {
      const s = await statfs(this.#dataDir);
      const total = s.blocks * s.bsize;
      const free = s.bfree * s.bsize;
      disk = { path: this.#dataDir, totalBytes: total, freeBytes: free, availableBytes: s.bavail * s.bsize,
        usedPercent: total > 0 ? round3(((total - free) / total) * 100) : 0 };
    } catch (err) {
      disk = { path: this.#dataDir, error: (err as Error).message };
    }
    return {
      cpu: { cores: cpus().length, processPercent: round3(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100), loadAverage: loadavg().map(round3) },
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, externalBytes: mem.external,
        systemTotalBytes: totalmem(), systemFreeBytes: freemem() },
      eventLoop,
      disk,
      uptimeSeconds: Math.round(process.uptime()),
    };
  }
}
