/**
 * Express middleware: `app.post('/webhooks', verifyWebhooks({ secret }), (req, res) => ...)`.
 * It reads the raw body from the request stream itself (or takes the Buffer that `express.raw()`
 * left), verifies it, and sets `req.webhook` to the parsed event (and `req.body`, so a JSON parser
 * mounted later skips the request). A request that does not verify is answered 401.
 *
 * Mount it before `express.json()` for that route: once a JSON parser consumed the stream only a
 * re-serialized body is left, which is not what was signed, so it refuses to guess and passes an
 * error on (unless the parser kept the bytes as `req.rawBody` through its `verify` option).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { DEFAULT_MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, declaredTooLarge, tooLarge, verifyRequest, type Refusal, type VerifyWebhooksOptions } from './verify-request.js'

export type { VerifyWebhooksOptions }

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own way to extend its Request type
  namespace Express {
    interface Request {
      /** The verified webhook's parsed body, set by verifyWebhooks(). */
      webhook?: unknown
    }
  }
}

/** The parts of Express's request this middleware uses (Express's Request extends IncomingMessage). */
export type WebhookRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; webhook?: unknown; _body?: boolean }

const TOO_LARGE = Symbol('too large')

export type WebhookMiddleware = (req: WebhookRequest, res: ServerResponse, next: (err?: unknown) => void) => void

export function verifyWebhooks(options: VerifyWebhooksOptions): WebhookMiddleware {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return (req, res, next) => {
    rawBody(req, limit).then(
      (raw) => {
        if (raw === TOO_LARGE) return refuse(res, tooLarge(limit))
        const result = verifyRequest(raw, req.headers, options)
        if ('refusal' in result) return refuse(res, result.refusal)
        req.webhook = result.event
        req.body = result.event
        // body-parser's mark of a read body: a parser mounted after this one leaves it alone.
        req._body = true
        next()
      },
      (err: unknown) => next(err),
    )
  }
}

async function rawBody(req: WebhookRequest, limit: number): Promise<Uint8Array | string | typeof TOO_LARGE> {
  // express.raw() ran first, or a JSON parser kept the bytes through its `verify` option.
  if (req.body instanceof Uint8Array) return req.body
  if (req.rawBody instanceof Uint8Array) return req.rawBody
  // express.text(): the text decoded as UTF-8, which encodes back to the same bytes.
  if (req._body === true && typeof req.body === 'string') return req.body
  if (req._body === true || req.readableEnded) {
    throw new Error('verifyWebhooks needs the raw body, but a body parser already read it: mount verifyWebhooks before express.json() (or use express.raw() for this route)')
  }
  if (declaredTooLarge(req.headers['content-length'], limit)) return TOO_LARGE
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > limit) return TOO_LARGE
    chunks.push(chunk)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    body.set(c, offset)
    offset += c.length
  }
  return body
}

function refuse(res: ServerResponse, refusal: Refusal): void {
  res.statusCode = refusal.status
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE)
  // A body left unread would otherwise keep the connection busy.
  if (refusal.status === 413) res.setHeader('connection', 'close')
  res.end(JSON.stringify(refusal.body))
}
