/**
 * Port choice for the demo: the conventional port when it is free, otherwise a free one picked by the kernel,
 * with a sentence saying so (on the project's machines Mosquitto holds 1883). The check binds and releases the
 * port, so another program could take it in between; the demo then fails with the bind error, which is rare
 * and says exactly what happened.
 */
import { createServer } from 'node:net';

export interface PortChoice {
  port: number;
  /** Set when the preferred port was taken. */
  note: string | null;
}

function tryListen(port: number, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

export async function choosePort(what: string, preferred: number, host: string): Promise<PortChoice> {
  const got = await tryListen(preferred, host);
  if (got !== null) return { port: got, note: null };
  const free = await tryListen(0, host);
  if (free === null) throw new Error(`no free port for ${what} on ${host}`);
  return { port: free, note: `${what}: port ${preferred} is taken on ${host} (another program holds it); using ${free} instead` };
}
