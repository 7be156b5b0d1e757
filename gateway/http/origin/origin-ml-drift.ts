/**
 * POST /api/v1/ml/check_drift: the body in, scoring/drift.ts's verdict over the stored readings out; the headline
 * fields are the sensor with the strongest evidence of drift, each sensor listed below it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DRIFT_METHOD, driftReport, type SensorDrift } from '../../scoring/drift.js';
import { sendInvalid } from '../support/errors.js';
import type { OriginApiContext } from './origin-context.js';
import { driftBody } from './origin-ml-bodies.js';

function sensorJson(s: SensorDrift): Record<string, unknown> {
  return {
    sensor: s.sensor, ks_statistic: s.statistic === null ? null : round6(s.statistic), p_value: s.pValue, drift_detected: s.drift,
    insufficient_data: s.insufficientData, counts: s.counts,
  };
}

const NO_SENSOR = { sensor: null, ks_statistic: null, p_value: null, drift_detected: false, insufficient_data: true, counts: { recent: 0, reference: 0 } };

export async function checkDrift(ctx: OriginApiContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = driftBody.safeParse(request.body);
  if (!body.success) return sendInvalid(reply, body.error, 422);
  const { sensor_id: asset, window_minutes, p_value_threshold, min_samples } = body.data;
  const report = driftReport(ctx.events, {
    asset, sensor: body.data.sensor, windowMs: window_minutes * 60_000, pValueThreshold: p_value_threshold, minSamples: min_samples,
    now: ctx.clock(),
  });
  const { recent, reference } = report.windows;
  return {
    sensor_id: asset,
    ...(report.strongest ? sensorJson(report.strongest) : NO_SENSOR),
    window_minutes, p_value_threshold, min_samples,
    windows: {
      recent: { from: new Date(recent.from).toISOString(), to: new Date(recent.to).toISOString() },
      reference: { from: new Date(reference.from).toISOString(), to: new Date(reference.to).toISOString() },
    },
    method: DRIFT_METHOD,
    sensors: report.sensors.map(sensorJson),
  };
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
