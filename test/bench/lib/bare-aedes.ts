/**
 * Bare Aedes, the broker the gateway builds on, as a benchmark baseline: Aedes 1.2 with its default in-memory
 * persistence, no storage and no hooks beyond an authorizePublish that answers at once, behind a TCP server with
 * noDelay (as the gateway's listener). It counts the PUBLISH packets clients sent it, so QoS 0 delivery can be
 * compared with the gateway's stored count, and serves that count on a loopback HTTP endpoint:
 *   GET /count → {"received": n}
 * Run as its own Node process (BareAedesProcess in processes.ts); prints {"mqtt": port, "http": port} on stdout
 * once both listeners are up. Options: --mqtt-port N (0), --http-port N (0), --host H (127.0.0.1).
 */
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';

const { values: args } = parseArgs({
  options: {
    'mqtt-port': { type: 'string', default: '0' },
    'http-port': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
  strict: true,
});

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

let received = 0;
const broker = await Aedes.createBroker({
  // Present because the gateway has one; answering at once keeps it out of the measurement.
  authorizePublish: (_client, _packet, callback) => callback(null),
});
broker.on('publish', (_packet, client) => {
  // client is null for the broker's own $SYS heartbeats.
  if (client) received++;
});

const mqttServer = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {
    // reported through Aedes' clientError; a reset socket must not become an uncaught error
  });
  broker.handle(socket);
});
const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received }));
    return;
  }
  res.writeHead(404).end();
});

const host = args.host ?? '127.0.0.1';
const mqttPort = await listen(mqttServer, Number(args['mqtt-port']), host);
const httpPort = await listen(httpServer, Number(args['http-port']), host);
process.stdout.write(`${JSON.stringify({ mqtt: mqttPort, http: httpPort })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    httpServer.close();
    mqttServer.close();
    broker.close(() => process.exit(0));
  });
}
