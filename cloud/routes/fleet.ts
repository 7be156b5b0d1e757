/** GET /api/v1/gateways (fleet view) and GET /api/v1/ml/models (model versions seen across the fleet). */
import type { FastifyInstance } from 'fastify';
import { PATHS } from '../../shared/protocol.js';
import type { CloudContext } from '../http/context.js';
import { fleetView } from '../fleet/fleet-status.js';
import { storage } from './ingest.js';

export function fleetRoutes(app: FastifyInstance, ctx: CloudContext): void {
  app.get(PATHS.gateways, { config: { auth: 'operator' } }, async () => {
    const records = await storage(() => ctx.store.listGateways());
    return { gateways: fleetView(records, ctx.clock(), ctx.config.fleet) };
  });
  app.get(PATHS.models, { config: { auth: 'operator' } }, async () => {
    return { models: await storage(() => ctx.store.listModels()) };
  });
}
