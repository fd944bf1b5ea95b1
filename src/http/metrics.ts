import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Buckets of the duration histograms (seconds): from a local answer to a one-minute timeout. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** The Prometheus metrics of one server (a registry per server, so tests can run several). */
export function createMetrics(collect: { queueDepth: () => Promise<number>; inFlight: () => number; droppedRequestLogs?: () => number }) {
  const registry = new Registry()
  const deliveries = new Counter({
    name: 'hookrelay_deliveries_total',
    help: 'Deliveries settled, by outcome: succeeded, failed (final) or retry (another attempt scheduled).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const attemptSeconds = new Histogram({
    name: 'hookrelay_attempt_duration_seconds',
    help: 'Time from sending an attempt to its outcome.',
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })
  const published = new Counter({ name: 'hookrelay_events_published_total', help: 'Events accepted by publish.', registers: [registry] })
  const groupCommits = new Histogram({
    name: 'hookrelay_publish_group_size',
    help: 'Publishes written per group commit (one transaction each); its _count is the number of commits.',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
    registers: [registry],
  })
  new Gauge({
    name: 'hookrelay_queue_depth',
    help: 'Pending deliveries (due, scheduled for retry, or in flight).',
    registers: [registry],
    async collect() {
      this.set(await collect.queueDepth())
    },
  })
  new Gauge({
    name: 'hookrelay_in_flight',
    help: 'Attempts being sent by this process right now.',
    registers: [registry],
    collect() {
      this.set(collect.inFlight())
    },
  })
  const received = new Counter({
    name: 'hookrelay_inbound_requests_total',
    help: 'Requests received by sources, by status: accepted, duplicate, verification_failed, invalid.',
    labelNames: ['status'] as const,
    registers: [registry],
  })
  new Gauge({
    name: 'hookrelay_inbound_logs_dropped',
    help: 'Refused inbound requests not logged because the log writer was full (a flood); counted since start.',
    registers: [registry],
    collect() {
      this.set(collect.droppedRequestLogs?.() ?? 0)
    },
  })
  const proxied = new Counter({
    name: 'hookrelay_gateway_requests_total',
    help: "Requests proxied by gateway routes, by outcome: success, redirect, client_error, server_error (the upstream's status class), timeout, unreachable, broken (the upstream broke off mid-answer), client_closed (the client went away) or too_large (a streamed body past the limit).",
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const upstreamSeconds = new Histogram({
    name: 'hookrelay_gateway_upstream_duration_seconds',
    help: "Time from forwarding a gateway request to the end of the upstream's answer, passed on to the client (or the timeout, or the break).",
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })
  const attemptStreams = new Gauge({
    name: 'hookrelay_attempt_streams',
    help: 'Live attempt streams (GET .../deliveries/stream) this node serves right now.',
    registers: [registry],
  })
  return { registry, deliveries, attemptSeconds, published, groupCommits, received, proxied, upstreamSeconds, attemptStreams }
}

export type Metrics = ReturnType<typeof createMetrics>
