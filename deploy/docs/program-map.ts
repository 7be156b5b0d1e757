/**
 * The map of the sources: which folders there are, what each holds, and the layers they form. Imports only point
 * down these layers (test/architecture/layers.test.ts checks every import against LAYERS), and the README's
 * layout and docs/modules.md are generated from this map and the tree (layout-docs.ts).
 */

/**
 * For every folder with subfolders: its entries from the lowest layer to the highest; "." is the folder's own
 * files. Peers in one layer do not import each other.
 */
export const LAYERS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  // The contract and small utilities at the bottom; the two programs beside each other; the trainers evaluate
  // with the gateway's loader; deploy/ (the `smartmaint` command, the demo, the reference docs) assembles them all.
  '.': [['shared'], ['cloud', 'gateway'], ['models'], ['deploy']],
  shared: [['.'], ['ml']],
  gateway: [
    ['config'], ['metrics'], ['auth'], ['outbox'], ['events'], ['ingest'], ['devices'], ['broker'],
    ['scoring'], ['sync'], ['status'], ['http'], ['tools'], ['.'],
  ],
  'gateway/http': [['support'], ['routes'], ['origin'], ['.']],
  'gateway/tools': [['simulate'], ['bench']],
  cloud: [['config'], ['metrics'], ['store'], ['auth'], ['ingest'], ['fleet'], ['http'], ['routes'], ['.']],
  models: [['onnx'], ['train']],
  deploy: [['demo'], ['cli'], ['docs']],
};

/** One line per folder that holds sources: what it is for. */
export const FOLDERS: Readonly<Record<string, string>> = {
  shared: 'the wire contract both programs speak (protocol.ts), errors with stable codes, config layering, logger, event bus, component lifecycle',
  'shared/ml': 'what the gateway and the trainers share: the model manifest, feature aggregations, ONNX protobuf, dataset loaders',
  gateway: 'the daemon on a site gateway; gateway.ts is its composition root (components, the path of a reading, start order)',
  'gateway/config': 'the gateway\'s zod config schema, parsed once; security and scoring slices',
  'gateway/metrics': 'the Prometheus registry and the process/latency figures the APIs report',
  'gateway/auth': 'passwords (scrypt), the technician password, the sign-in throttle',
  'gateway/outbox': 'the SQLite store-and-forward outbox: the only folder with SQL; its writer thread and stores',
  'gateway/events': 'the typed events a stored reading travels on: committed, scored, alert, synced',
  'gateway/ingest': 'MQTT and HTTP payloads decoded into readings; the group commit pipeline',
  'gateway/devices': 'device identities, their secrets and ACLs',
  'gateway/broker': 'the embedded Aedes broker: listeners, packet and connection guards, quotas',
  'gateway/scoring': 'ONNX models: loading, the registry of versions, feature windows, scoring, alerts, drift',
  'gateway/sync': 'outbox → cloud: lanes, batches, outcomes, backoff, heartbeats',
  'gateway/status': 'the status page\'s live feed and the words it uses for the uplink and assets',
  'gateway/http': 'the gateway\'s HTTP server; server.ts builds it apart from listen()',
  'gateway/http/support': 'what every route shares: the one authentication decision, errors, query parsing, hardening',
  'gateway/http/routes': 'health, metrics, the read API, the status page',
  'gateway/http/origin': 'the origin system\'s API: ingest, ML and operations endpoints',
  'gateway/tools': 'load tools, not runtime',
  'gateway/tools/simulate': '`smartmaint simulate`: C-MAPSS / AI4I replays as MQTT devices',
  'gateway/tools/bench': '`smartmaint bench mqtt`: the raw-socket MQTT load driver',
  cloud: 'the ingestion API; server.ts builds it apart from listen(), service.ts runs it',
  'cloud/config': 'the cloud\'s zod config schema',
  'cloud/metrics': 'the cloud\'s Prometheus metrics',
  'cloud/store': 'one storage contract, two stores: SQLite (embedded, worker threads) and PostgreSQL',
  'cloud/auth': 'API keys, the authenticator, rate limits, failed-auth records',
  'cloud/ingest': 'validation of synced readings',
  'cloud/fleet': 'gateway status for the fleet view (view/ holds its page)',
  'cloud/http': 'request context, the authentication hook, body parsing',
  'cloud/routes': 'ingest, heartbeat, reads, fleet, health',
  models: 'the default models (<name>/<version>/), their data and their trainers',
  'models/onnx': 'an ONNX graph builder and tree-ensemble writer',
  'models/train': 'deterministic trainers, `npm run models:build` and `models:eval`',
  deploy: 'what assembles the programs: the `smartmaint` command, the demo, generated docs; systemd and Docker files',
  'deploy/cli': 'the `smartmaint` entry point: dispatches to each program\'s commands, lazily',
  'deploy/demo': '`smartmaint demo` (`npm start`): cloud + gateway + replay in one process',
  'deploy/docs': 'the program map (this file) and the generators of the README\'s reference sections',
};
