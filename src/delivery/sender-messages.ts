/**
 * How requests and results cross between the main thread and the sender thread: each batch is one
 * flat array of strings and numbers. A structured clone costs per value and per object: an object
 * per request, one per header set, one per result and its response cost more to clone than the
 * strings they hold (a default delivery's request and a 204's result, both threads, three runs:
 * 18-22 us per request as objects against 16-17 us flat in messages of one, 6.1-6.9 against
 * 5.7-6.0 us in batches of 32 requests and 13 results, as the bench's end to end makes them). The
 * request is never echoed back: a result carries only what the attempt log needs of the exchange.
 *
 * A request: id, method, url, body (or null), timeoutMs, allowedNetworks (or null), the number of
 * header strings (2 per header), then the headers as name, value, name, value...
 * A result: id, startedAt, durationMs, status (0: no response), and with a response the number of
 * header strings, the headers, the body; then the error's kind and message (or null, null).
 */
import type { AttemptResponse, ErrorKind } from '../core/model.js'
import type { FlatHeadersRequest, OutboundRequest, SendResult } from './sender.js'

/** The values of a batch, in the order above. */
export type Flat = Array<string | number | null | string[]>

/** Appends one request to a batch. */
export function encodeRequest(out: Flat, id: number, req: OutboundRequest): void {
  out.push(id, req.method, req.url, req.body, req.timeoutMs, req.allowedNetworks ?? null)
  const headers = req.headers
  const at = out.length
  out.push(0)
  for (const name in headers) out.push(name, headers[name]!)
  out[at] = out.length - at - 1
}

/**
 * Calls `each` with every request of a batch, its headers as the flat list undici takes; the rest
 * as encodeRequest was given it.
 */
export function decodeRequests(batch: Flat, each: (id: number, req: FlatHeadersRequest) => void): void {
  let i = 0
  while (i < batch.length) {
    const id = batch[i] as number
    const req: FlatHeadersRequest = {
      method: batch[i + 1] as string,
      url: batch[i + 2] as string,
      headers: [],
      body: batch[i + 3] as string | null,
      timeoutMs: batch[i + 4] as number,
    }
    const networks = batch[i + 5] as string[] | null
    if (networks !== null) req.allowedNetworks = networks
    const n = batch[i + 6] as number
    req.headers = batch.slice(i + 7, i + 7 + n) as string[]
    i += 7 + n
    each(id, req)
  }
}

/** Appends one result to a batch. */
export function encodeResult(out: Flat, id: number, result: SendResult): void {
  const { response, error } = result
  out.push(id, result.startedAt, result.durationMs, response === null ? 0 : response.status)
  if (response !== null) {
    const at = out.length
    out.push(0)
    for (const name in response.headers) out.push(name, response.headers[name]!)
    out[at] = out.length - at - 1
    out.push(response.body)
  }
  out.push(error === null ? null : error.kind, error === null ? null : error.message)
}

/** Calls `each` with every result of a batch, as encodeResult was given it. */
export function decodeResults(batch: Flat, each: (id: number, result: SendResult) => void): void {
  let i = 0
  while (i < batch.length) {
    const id = batch[i] as number
    const startedAt = batch[i + 1] as number
    const durationMs = batch[i + 2] as number
    const status = batch[i + 3] as number
    i += 4
    let response: AttemptResponse | null = null
    if (status !== 0) {
      const n = batch[i] as number
      const headers: Record<string, string> = {}
      for (let h = i + 1; h < i + 1 + n; h += 2) headers[batch[h] as string] = batch[h + 1] as string
      i += 1 + n
      response = { status, headers, body: batch[i] as string }
      i++
    }
    const kind = batch[i] as ErrorKind | null
    const error = kind === null ? null : { kind, message: batch[i + 1] as string }
    i += 2
    each(id, { startedAt, durationMs, response, error })
  }
}
