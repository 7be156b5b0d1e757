/**
 * A TCP fault proxy for tests, in the spirit of ToxiProxy: sits between a client and a server and injects
 * real network faults — latency, connection resets part-way through a request body, a blackhole that accepts
 * and never answers, a bandwidth limit, or refusing connections (the upstream looks down).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  | { kind: 'latency'; ms: number }
  | { kind: 'reset-mid-body'; afterBytes: number }
  | { kind: 'blackhole' }
  | { kind: 'bandwidth'; bytesPerSecond: number }
  | { kind: 'refuse' };

export class FaultProxy {
  readonly #upstreamPort: number;
  readonly #upstreamHost: string;
  #server: Server | undefined;
  #fault: Fault = { kind: 'none' };
  readonly #sockets = new Set<Socket>();
  port = 0;
  connections = 0;

  constructor(upstreamPort: number, upstreamHost = '127.0.0.1') {
    this.#upstreamPort = upstreamPort;
    this.#upstreamHost = upstreamHost;
  }

  get fault(): Fault {
    return this.#fault;
  }

  /** Applies to new connections; `resetAll` also cuts the ones open now (as a link flap would). */
  setFault(fault: Fault, resetAll = false): void {
    this.#fault = fault;
    if (resetAll) for (const s of this.#sockets) s.destroy();
  }

  async start(port = 0): Promise<number> {
    this.#server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  #accept(client: Socket): void {
    this.connections++;
    this.#track(client);
    const fault = this.#fault;
    if (fault.kind === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (fault.kind === 'blackhole') {
      client.on('data', () => {}); // swallow everything, answer nothing
      return;
    }
    const upstream = connect(this.#upstreamPort, this.#upstreamHost);
    this.#track(upstream);
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      if (fault.kind === 'reset-mid-body' && sent + chunk.length > fault.afterBytes) {
        upstream.write(chunk.subarray(0, Math.max(0, fault.afterBytes - sent)));
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      sent += chunk.length;
      this.#forward(fault, chunk, upstream, client);
    });
    upstream.on('data', (chunk: Buffer) => this.#forward(fault, chunk, client, upstream));
  }

  #forward(fault: Fault, chunk: Buffer, to: Socket, from: Socket): void {
    if (fault.kind === 'latency') {
      setTimeout(() => { if (!to.destroyed) to.write(chunk); }, fault.ms);
    } else if (fault.kind === 'bandwidth') {
      from.pause();
      const delay = Math.ceil((chunk.length / fault.bytesPerSecond) * 1000);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        from.resume();
      }, delay);
    } else {
      to.write(chunk);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
