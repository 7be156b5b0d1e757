/**
 * A lean MQTT 3.1.1 load driver: raw TCP sockets, PUBLISH packets pre-generated with mqtt-packet and
 * written as contiguous byte ranges, PUBACKs parsed with mqtt-packet's parser. mqtt.js spends several
 * microseconds per publish (callbacks, store, per-packet writes), which would make the driver the
 * bottleneck above ~50k msg/s on a 2-core machine where the broker under test needs one core.
 *
 * Measurement follows mqtt-benchmark: per client, successes/failures, run time, and a time per message:
 * publish→PUBACK at QoS 1, socket write time (write call → write callback) at QoS 0. Unlike
 * mqtt-benchmark, all clients connect first and then start together (unless -ramp-up-time), and up to
 * -inflight QoS 1 messages may be unacknowledged per client.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import mqttPacket from 'mqtt-packet';
import type { BenchOptions } from './flags.js';
import { PublishPackets, messageIdFor } from './packets.js';
import { buildReport, type BenchReport, type ClientMeasurement } from './results.js';

export interface MqttBenchDeps {
  /** Monotonic clock in ms (fractional). */
  now?: () => number;
  /** Progress and per-client log lines (suppressed by -quiet). */
  log?: (line: string) => void;
  /** Bytes of pre-generated packets allowed before generation moves into the timed run. */
  pregenerateBudgetBytes?: number;
  /** Log a progress line every second (meant for a TTY). */
  progress?: boolean;
}

/** Stop writing to a socket whose user-space buffer holds this much; resume on 'drain'. */
const QOS0_HIGH_WATER_BYTES = 256 * 1024;
/** QoS 0 messages per write: large enough to amortise the syscall, small enough to interleave clients. */
const QOS0_BURST = 256;
const CONNECT_CONCURRENCY = 64;

interface ClientConfig {
  index: number;
  options: BenchOptions;
  now: () => number;
  log: (line: string) => void;
}

/** One connection and its share of the load. */
class BenchClient {
  private readonly cfg: ClientConfig;
  readonly packets: PublishPackets;
  private socket: net.Socket | undefined;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  /** Send time by packet id (-1: none outstanding). */
  private readonly sendAt = new Float64Array(65_536).fill(-1);
  private readonly latencies: Float64Array;
  private latencyCount = 0;
  private next = 0;
  private outstanding = 0;
  private successes = 0;
  private failures = 0;
  private startedAt = 0;
  private endedAt = 0;
  private lastProgressAt = 0;
  private dataAt = 0;
  private waitingDrain = false;
  private finished = false;
  private pacer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private resolveDone: (() => void) | undefined;
  private onConnack: ((code: number) => void) | undefined;

  constructor(cfg: ClientConfig) {
    this.cfg = cfg;
    const o = cfg.options;
    this.packets = new PublishPackets({ topic: o.topic, payload: o.payload, size: o.size, qos: o.qos, clientIndex: cfg.index, count: o.count });
    this.latencies = new Float64Array(o.count);
  }

  get progress(): { done: number; failed: number } {
    return { done: this.successes, failed: this.failures };
  }

  async connect(): Promise<void> {
    const { options, index } = this.cfg;
    const socket = net.connect({ host: options.broker.host, port: options.broker.port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.parser.on('packet', (packet) => this.onPacket(packet));
    this.parser.on('error', (err: Error) => this.fail(`protocol error: ${err.message}`));
    socket.on('data', (data: Buffer) => {
      this.dataAt = this.cfg.now();
      this.parser.parse(data);
      if (!this.finished && this.startedAt > 0) this.pump();
    });
    socket.on('error', (err) => this.fail(`socket error: ${err.message}`));
    socket.on('close', () => this.fail('connection closed by broker'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${options.waitMs} ms`)), options.waitMs);
      const settle = (err?: Error): void => {
        clearTimeout(timer);
        this.onConnack = undefined;
        socket.off('error', onError);
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onError = (err: Error): void => settle(err);
      const onClose = (): void => settle(new Error('connection closed before CONNACK'));
      socket.once('error', onError);
      socket.once('close', onClose);
      this.onConnack = (code) => (code === 0 ? settle() : settle(new Error(`CONNACK return code ${code}`)));
      socket.write(mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true,
        // Keep Alive 0 turns the mechanism off (MQTT 3.1.1 §3.1.2.10): a paced run may idle for long.
        keepalive: 0,
        clientId: `${options.clientPrefix}-${index}`,
        ...(options.username !== '' ? { username: options.username } : {}),
        ...(options.password !== '' ? { password: Buffer.from(options.password) } : {}),
      }));
    });
  }

  /** Publishes this client's messages; resolves when each is acknowledged/written or given up. */
  run(): Promise<ClientMeasurement> {
    return new Promise<ClientMeasurement>((resolve) => {
      this.resolveDone = () => resolve({
        id: this.cfg.index,
        successes: this.successes,
        failures: this.failures,
        runTimeSec: (this.endedAt - this.startedAt) / 1000,
        latenciesMs: this.latencies.subarray(0, this.latencyCount),
      });
      this.startedAt = this.cfg.now();
      this.lastProgressAt = this.startedAt;
      if (this.finished) {
        // The connection failed before the start: everything counts as failed.
        this.endedAt = this.startedAt;
        this.resolveDone();
        return;
      }
      const wait = this.cfg.options.waitMs;
      this.watchdog = setInterval(() => this.checkStall(), Math.max(10, Math.min(1000, wait / 4)));
      this.pump();
    });
  }

  /** Marks everything not yet successful as failed and closes (used when the connection is unusable). */
  fail(reason: string): void {
    if (this.finished) return;
    if (this.socket && !this.cfg.options.quiet) this.cfg.log(`CLIENT ${this.cfg.index} ${reason}`);
    this.failures = this.cfg.options.count - this.successes;
    this.finish();
  }

  stop(): void {
    this.fail('stopped');
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.endedAt = this.cfg.now();
    clearTimeout(this.pacer);
    clearInterval(this.watchdog);
    const socket = this.socket;
    if (socket && !socket.destroyed) {
      socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
    }
    if (!this.cfg.options.quiet && this.startedAt > 0) this.cfg.log(`CLIENT ${this.cfg.index} is done publishing`);
    this.resolveDone?.();
  }

  private onPacket(packet: mqttPacket.Packet): void {
    if (packet.cmd === 'puback') {
      if (this.finished) return; // late acks after giving up are not counted twice
      const id = packet.messageId ?? 0;
      const sentAt = this.sendAt[id] ?? -1;
      if (sentAt < 0) return; // not ours or already counted (a late ack after a stall)
      this.sendAt[id] = -1;
      this.latencies[this.latencyCount++] = this.dataAt - sentAt;
      this.outstanding--;
      this.successes++;
      this.lastProgressAt = this.dataAt;
      if (this.successes + this.failures >= this.cfg.options.count) this.finish();
    } else if (packet.cmd === 'connack') {
      this.onConnack?.(packet.returnCode ?? 0);
    }
  }

  /** The highest message index (exclusive) that may be sent now under -message-interval. */
  private dueLimit(now: number): number {
    const intervalMs = this.cfg.options.messageIntervalSeconds * 1000;
    if (intervalMs <= 0) return this.cfg.options.count;
    return Math.min(this.cfg.options.count, Math.floor((now - this.startedAt) / intervalMs) + 1);
  }

  private pump(): void {
    if (this.finished || !this.socket) return;
    const now = this.cfg.now();
    const due = this.dueLimit(now);
    if (this.cfg.options.qos === 1) this.pumpQos1(due, now);
    else this.pumpQos0(due);
    this.schedulePacer(due);
  }

  private pumpQos1(due: number, now: number): void {
    const socket = this.socket!;
    const { inflight } = this.cfg.options;
    while (this.outstanding < inflight && this.next < due) {
      const from = this.next;
      const chunkEnd = this.packets.chunkEnd(from);
      const to = Math.min(chunkEnd, due, from + (inflight - this.outstanding));
      const bytes = this.packets.range(from, to);
      for (let i = from; i < to; i++) this.sendAt[messageIdFor(i)] = now;
      this.outstanding += to - from;
      this.next = to;
      socket.write(bytes);
      if (to === chunkEnd) this.packets.release(from);
    }
  }

  private pumpQos0(due: number): void {
    const socket = this.socket!;
    while (this.next < due && socket.writableLength < QOS0_HIGH_WATER_BYTES) {
      const from = this.next;
      const chunkEnd = this.packets.chunkEnd(from);
      const to = Math.min(chunkEnd, due, from + QOS0_BURST);
      const bytes = this.packets.range(from, to);
      const n = to - from;
      this.outstanding += n;
      this.next = to;
      const writtenFrom = this.cfg.now();
      socket.write(bytes, (err) => this.onQos0Written(n, writtenFrom, err));
      if (to === chunkEnd) this.packets.release(from);
    }
    if (this.next < due && !this.waitingDrain) {
      this.waitingDrain = true;
      socket.once('drain', () => {
        this.waitingDrain = false;
        this.pump();
      });
    }
  }

  private onQos0Written(n: number, writtenFrom: number, err: Error | null | undefined): void {
    if (this.finished) return;
    this.outstanding -= n;
    if (err) {
      this.fail(`write failed: ${err.message}`);
      return;
    }
    const now = this.cfg.now();
    const ms = now - writtenFrom;
    this.latencies.fill(ms, this.latencyCount, this.latencyCount + n);
    this.latencyCount += n;
    this.successes += n;
    this.lastProgressAt = now;
    if (this.successes + this.failures >= this.cfg.options.count) this.finish();
  }

  private schedulePacer(due: number): void {
    const intervalMs = this.cfg.options.messageIntervalSeconds * 1000;
    if (intervalMs <= 0 || this.pacer || this.next >= this.cfg.options.count || this.next < due) return;
    const nextDueAt = this.startedAt + this.next * intervalMs;
    this.pacer = setTimeout(() => {
      this.pacer = undefined;
      this.pump();
    }, Math.max(0, nextDueAt - this.cfg.now()));
  }

  /** -wait: when nothing has been acknowledged/written for that long, what is outstanding has failed. */
  private checkStall(): void {
    if (this.finished || this.outstanding === 0) return;
    if (this.cfg.now() - this.lastProgressAt < this.cfg.options.waitMs) return;
    this.fail(`no progress for ${this.cfg.options.waitMs} ms with ${this.outstanding} messages outstanding; giving up`);
  }
}

/** Runs one benchmark as described by the options. */
export class MqttBench {
  private readonly options: BenchOptions;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly budget: number;
  private readonly progress: boolean;
  private clients: BenchClient[] = [];
  /** Clock reading when publishing started (after every client connected), for end-to-end timing. */
  publishStartedAt = 0;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(options: BenchOptions, deps: MqttBenchDeps = {}) {
    this.options = options;
    this.now = deps.now ?? (() => performance.now());
    this.log = deps.log ?? (() => {});
    this.budget = deps.pregenerateBudgetBytes ?? 512 * 1024 * 1024;
    this.progress = deps.progress ?? false;
  }

  async run(signal?: AbortSignal): Promise<BenchReport> {
    const o = this.options;
    const quiet = o.quiet;
    this.clients = Array.from({ length: o.clients }, (_, index) => new BenchClient({ index, options: o, now: this.now, log: this.log }));
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // Generate packets outside the timed window when they fit in memory.
      const estimate = (this.clients[0]?.packets.estimatePacketBytes() ?? 0) * o.count * o.clients;
      if (estimate <= this.budget) for (const c of this.clients) c.packets.pregenerate();
      else if (!quiet) this.log(`packets (${Math.round(estimate / 1e6)} MB) exceed the pre-generation budget; generating during the run`);

      for (let i = 0; i < this.clients.length; i += CONNECT_CONCURRENCY) {
        await Promise.all(this.clients.slice(i, i + CONNECT_CONCURRENCY).map(async (c, j) => {
          if (!quiet) this.log(`Starting client ${i + j}`);
          try {
            await c.connect();
            if (!quiet) this.log(`CLIENT ${i + j} is connected to the broker ${o.broker.host}:${o.broker.port}`);
          } catch (err) {
            c.fail(`had error connecting to the broker: ${(err as Error).message}`);
          }
          if (signal?.aborted) c.stop();
        }));
      }

      if (this.progress) this.startProgress();
      const startedAt = this.now();
      this.publishStartedAt = startedAt;
      const stepMs = (o.rampUpSeconds * 1000) / o.clients;
      const measurements = await Promise.all(this.clients.map(async (c, i) => {
        if (stepMs > 0 && i > 0) await new Promise((r) => setTimeout(r, stepMs * i));
        return c.run();
      }));
      const totalRunTimeSec = (this.now() - startedAt) / 1000;
      return buildReport(measurements, totalRunTimeSec, { qos: o.qos, inflight: o.qos === 1 ? o.inflight : 0 });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearInterval(this.progressTimer);
      for (const c of this.clients) c.stop();
    }
  }

  /** Aborts the run: every client counts what is not yet acknowledged as failed. */
  stop(): void {
    for (const c of this.clients) c.stop();
  }

  private startProgress(): void {
    const begin = this.now();
    const total = this.options.count * this.options.clients;
    this.progressTimer = setInterval(() => {
      let done = 0;
      let failed = 0;
      for (const c of this.clients) {
        const p = c.progress;
        done += p.done;
        failed += p.failed;
      }
      const sec = (this.now() - begin) / 1000;
      this.log(`progress: ${done}/${total} ok, ${failed} failed, ${Math.round(done / Math.max(sec, 1e-9))} msg/s`);
    }, 1000);
    this.progressTimer.unref();
  }
}
