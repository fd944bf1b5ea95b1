/**
 * The body of the sender thread: an undici sender (with its SSRF guard) fed in batches by
 * ThreadedSender. It does the HTTP work of deliveries so that it does not share an event loop with
 * ingest and the database.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createAddressPolicy } from '../core/address-class.js'
import { decodeRequests, encodeResult, type Flat } from './sender-messages.js'
import { createSender } from './sender.js'

/** The sender's settings, as they cross to the thread (structured clone: plain data only). */
export interface SenderWorkerData {
  allowedNetworks: string[]
  connectionsPerOrigin?: number
  /** HOOKRELAY_CA_CERTS as PEM text. Default none. */
  caCerts?: string | null
  /** HOOKRELAY_REQUIRE_HTTPS. Default false. */
  requireHttps?: boolean
  /** HOOKRELAY_EGRESS_PROXY. Default none. */
  egressProxy?: string | null
}

/** A batch of requests (sender-messages.ts), or `close`. */
export type ToWorker = Flat | 'close'
/**
 * A batch of results (sender-messages.ts); `ready`: the thread is up and takes requests (until
 * then the sender counts as broken if it replaced a dead one); `closed`: close() is done.
 */
export type FromWorker = Flat | 'closed' | 'ready'

const port = parentPort!
const data = workerData as SenderWorkerData
const sender = createSender({
  policy: createAddressPolicy(data.allowedNetworks),
  connectionsPerOrigin: data.connectionsPerOrigin,
  caCerts: data.caCerts,
  requireHttps: data.requireHttps,
  proxy: data.egressProxy,
})

let out: Flat = []
let flushScheduled = false
const flush = (): void => {
  flushScheduled = false
  const batch = out
  out = []
  if (batch.length > 0) port.postMessage(batch satisfies FromWorker)
}

port.on('message', (msg: ToWorker) => {
  if (msg === 'close') {
    void sender.close().then(() => {
      flush()
      port.postMessage('closed' satisfies FromWorker)
    })
    return
  }
  decodeRequests(msg, (id, req) => {
    sender.sendTo(req, (result) => {
      encodeResult(out, id, result)
      // Results that finish in the same turn travel back in one message.
      if (!flushScheduled) {
        flushScheduled = true
        setImmediate(flush)
      }
    })
  })
})

port.postMessage('ready' satisfies FromWorker)
