/** Listening and closing for the broker's listeners (TCP, TLS, WebSocket's HTTP server): one way to do each. */
import type { Server } from 'node:net';

/** Listens; resolves with the bound port (the given one, or the one the OS chose for 0) or rejects on a bind error. */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

/** Closes the server and waits until it has (at once when it is not listening). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}
