import { randomBytes } from 'node:crypto'
import type { Config } from './config.js'
import { NetworkPolicies } from './core/network-policies.js'
import { Dispatcher } from './delivery/dispatcher.js'
import { sharedLimits } from './delivery/shared-limits.js'
import { createThreadedSender } from './delivery/threaded-sender.js'
import { sizeRenderThreads } from './rendering/render-bounded.js'
import { buildApp } from './http/app.js'
import { Gateway } from './gateway/gateway.js'
import { lazyUpstream } from './gateway/lazy-upstream.js'
import { Ingest } from './inbound/ingest.js'
import { RequestLog } from './inbound/request-log.js'
import { startRetention } from './services/retention.js'
import { SourceCache } from './inbound/source-cache.js'
import { createMetrics } from './http/metrics.js'
import { Access } from './services/access.js'
import { AttemptFeed, attemptNotice } from './services/attempt-feed.js'
import { EndpointDirectory } from './services/endpoint-directory.js'
import { EndpointHealth, OPERATOR_TENANT } from './services/endpoint-health.js'
import { DegradedWatch } from './services/endpoint-degraded.js'
import { EndpointService } from './services/endpoints.js'
import { PayloadSchemas } from './services/payload-schemas.js'
import { Publisher } from './services/publisher.js'
import { loadSecretBox } from './services/secret-keys.js'
import { RouteService } from './services/routes.js'
import { SourceService } from './services/sources.js'
import { openStore } from './store/open-store.js'
import type { Store } from './store/store.js'
import { startHeapTrim } from './heap-trim.js'
import { VERSION } from './version.js'
import { BUILT_IN_EVENT_TYPES } from './core/built-in-event-types.js'

/** Heap size past which the main thread asks for a full collection (see heap-trim.ts). */
const HEAP_SOFT_LIMIT_MB = 80

/** How long a graceful stop waits for HTTP requests in progress before closing their sockets. */
const CLOSE_GRACE_MS = 1000

export interface RunningServer {
  url: string
  /** Set when the admin token was generated on this start (print it once). */
  generatedAdminToken: string | null
  /** Graceful stop: no new work, in-flight attempts finish, queued deliveries are handed back. */
  close(): Promise<void>
}

/**
 * A start that cannot complete, said in one line naming the cause (the port in use, the database
 * unreachable): the CLI prints the message without a stack and exits 1.
 */
export class StartError extends Error {
  override name = 'StartError'
}

/** The first line of an error's message: drivers sometimes add detail on further lines. */
const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split('\n', 1)[0]!

/** Where the store is, without a password a database URL may carry. */
function storePlace(config: Config): string {
  if (config.databaseUrl === null) return `the SQLite database in ${config.dataDir}`
  try {
    const u = new URL(config.databaseUrl)
    return `the PostgreSQL database at ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`
  } catch {
    return 'the PostgreSQL database'
  }
}

/**
 * Opens the store, settles the admin token, wires everything and listens. A start that fails
 * after it generated an admin token forgets that token again (it was never shown), so the next
 * start generates and prints one (API.md, "Limits on bad input").
 */
export async function startServer(config: Config): Promise<RunningServer> {
  let store: Store
  try {
    store = await openStore(config)
  } catch (err) {
    throw new StartError(`cannot open ${storePlace(config)}: ${firstLine(err)}`)
  }
  const access = new Access(store)
  let generated: string | null = null
  try {
    generated = await access.init(config.adminToken)
    return await wire(config, store, access, generated)
  } catch (err) {
    if (generated !== null) await access.forgetGenerated(generated).catch(() => {})
    await store.close().catch(() => {})
    throw err
  }
}

/** Wires the store, services, dispatcher and HTTP app, and listens. Everything else is in the parts. */
async function wire(config: Config, store: Store, access: Access, generatedAdminToken: string | null): Promise<RunningServer> {
  const warn = (m: string) => {
    if (config.logLevel !== 'silent') process.stderr.write(`hookrelay: ${m}\n`)
  }
  const box = await loadSecretBox(config.encryptionKey, config.dataDir, store, warn)
  // The server-wide list, and per tenant its own allowedNetworks in its place.
  const policies = new NetworkPolicies(config.allowedNetworks)
  const policy = policies.serverWide
  // Loaded only when sending from this thread: undici is the sender thread's, and loading it here
  // would cost every start ~40 ms.
  const sending = { caCerts: config.caCerts, requireHttps: config.requireHttps }
  const threaded = config.senderThread ? createThreadedSender({ allowedNetworks: config.allowedNetworks, egressProxy: config.egressProxy, ...sending }) : null
  const sender = threaded ?? (await import('./delivery/sender.js')).createSender({ policy, proxy: config.egressProxy, ...sending })
  const directory = new EndpointDirectory(store, box, Date.now, undefined, config.maxPayloadBytes)
  sizeRenderThreads(config.maxPayloadBytes)
  const now = Date.now()
  await store.createTenant({ id: OPERATOR_TENANT, name: 'Operator', metadata: {}, createdAt: now, updatedAt: now })
  for (const [name, description] of BUILT_IN_EVENT_TYPES) {
    await store.createEventType({ name, description, schema: null, example: null, createdAt: now, updatedAt: now })
  }

  const delivers = config.role !== 'api'
  // SQLite serves exactly one node, so leases left by a killed process are ours to take back now.
  if (delivers && store.dialect === 'sqlite') await store.releaseLeases(null, null, now)

  const owner = `node_${randomBytes(6).toString('hex')}`
  let dispatcher: Dispatcher | null = null
  const requestLog = new RequestLog(store)
  const metrics = createMetrics({
    queueDepth: () => store.pendingCount(),
    inFlight: () => dispatcher?.inFlightCount ?? 0,
    droppedRequestLogs: () => requestLog.dropped,
  })
  const schemas = new PayloadSchemas(store)
  // Attempts as they are recorded, for live streams: across processes through the store's channel (PostgreSQL).
  const feed = new AttemptFeed(store.attemptNotices ?? null, warn)
  const publisher = new Publisher(store, directory, null, Date.now, (size) => metrics.groupCommits.observe(size), schemas)
  const health = new EndpointHealth(store, directory, publisher, config.disableAfterMs)
  const degraded = new DegradedWatch(store, publisher, {
    windowMs: config.degradedWindowMs,
    threshold: config.degradedThreshold,
    // Several workers may share a PostgreSQL database: judge on every node's attempts (endpoint-degraded.ts).
    shared: store.dialect === 'postgres',
    onError: (e) => warn(`endpoint degraded check failed: ${(e as Error).message}`),
  })

  if (delivers) {
    dispatcher = new Dispatcher({
      store,
      sender,
      targets: directory,
      owner,
      endpointConcurrency: config.endpointConcurrency,
      // On a shared database the per-endpoint limits hold across every worker together.
      limits: store.sharedLimits ? sharedLimits(store.sharedLimits, owner, config.endpointConcurrency, warn) : undefined,
      maxInFlight: config.maxInFlight,
      leaseMs: config.leaseMs,
      onAttempt: (a) => metrics.attemptSeconds.observe(a.durationMs / 1000),
      onTargetError: (endpointId, error) => warn(`cannot load endpoint ${endpointId} to deliver to it: ${(error as Error).message}`),
      onSettled: (batch) => {
        feed.record(
          batch.flatMap((b) =>
            b.attempt === null ? [] : [attemptNotice(b.attempt, b.due.eventId, b.due.eventType, b.step.kind === 'retry' ? 'pending' : b.step.kind)],
          ),
        )
        for (const b of batch) metrics.deliveries.inc({ outcome: b.step.kind })
        health.observe(batch)
        degraded.observe(batch)
      },
    })
    const d = dispatcher
    publisher.attach({ owner, leaseMs: config.leaseMs, hasRoom: (id) => d.hasRoom(id), accept: (items) => d.accept(items), wake: () => d.wake() })
  }
  const wake = () => dispatcher?.wake()
  // Other processes on the same database (PostgreSQL) make work due too: they notify, we claim.
  const d0 = dispatcher
  const stopListening = d0 && store.onDueWork ? await store.onDueWork(() => d0.wake()) : null
  const endpoints = new EndpointService({
    store,
    directory,
    policies,
    sender,
    wake,
    defaultRetry: config.defaultRetry ?? undefined,
    requireHttps: config.requireHttps,
    onTestAttempt: (a, event) => feed.record([attemptNotice(a, event.id, event.type, a.success ? 'succeeded' : 'failed')]),
  })
  const sourceCache = new SourceCache(store, box)
  const sources = new SourceService(store, box, sourceCache)
  const ingest = new Ingest({ cache: sourceCache, log: requestLog, publisher, store, onReceived: (status) => metrics.received.inc({ status }) })
  const stopRetention = startRetention(store, config.retentionMs)
  const upstream = lazyUpstream(policy)
  const gateway = new Gateway({
    store,
    publisher,
    upstream,
    onPublishError: (e) => warn(`a gateway lifecycle event was not published: ${(e as Error).message}`),
    onProxied: (outcome, ms) => {
      metrics.proxied.inc({ outcome })
      metrics.upstreamSeconds.observe(ms / 1000)
    },
  })
  const routes = new RouteService({ store, policies, changes: gateway })

  const app = await buildApp({
    store,
    access,
    publisher,
    endpoints,
    sources,
    ingest,
    routes,
    gateway,
    publicUrl: config.publicUrl,
    feed,
    schemas,
    metrics,
    role: config.role,
    maxPayloadBytes: config.maxPayloadBytes,
    httpLogLevel: config.logLevel,
    wake,
    deliveryProblem: () => threaded?.problem() ?? null,
    version: VERSION,
    portalOrigins: config.portalOrigins,
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    // The sender thread and the pools would hold the process open after a failed start.
    await sender.close().catch(() => {})
    await upstream.close().catch(() => {})
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : firstLine(err)
    throw new StartError(`cannot listen on ${config.host}:${config.port} (--host, --port): ${why}`)
  }
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  dispatcher?.start()
  if (delivers) degraded.start()
  const stopHeapTrim = startHeapTrim(HEAP_SOFT_LIMIT_MB)

  let closing: Promise<void> | null = null
  return {
    url: `http://${host}:${port}`,
    generatedAdminToken,
    close() {
      closing ??= (async () => {
        // Stop claiming at once; in-flight attempts finish (or hand their leases back) while the
        // HTTP side winds down. A publish that commits meanwhile has its hand-off released, not sent.
        const dispatcherStopped = dispatcher?.stop()
        // Awaited below, after the HTTP side; until then a failure must not count as unhandled.
        dispatcherStopped?.catch(() => {})
        // Stop accepting; requests in progress (publishes waiting for their commit) get their answer.
        // Keep-alive sockets that go idle later would hold close() open, so after a grace period
        // every connection is closed.
        const grace = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS)
        await app.close()
        clearTimeout(grace)
        stopHeapTrim()
        stopRetention()
        await stopListening?.()
        await feed.close()
        await requestLog.flush()
        await publisher.drain()
        await dispatcherStopped
        degraded.stop()
        await health.idle()
        await degraded.idle()
        await publisher.drain()
        await sender.close()
        await upstream.close()
        await store.close()
      })()
      return closing
    },
  }
}
