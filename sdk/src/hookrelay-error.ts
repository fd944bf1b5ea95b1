/**
 * What every failed call throws. For an answer from the server it carries the RFC 9457 problem
 * document's fields (`code` is the stable one to branch on, see docs/errors.md); when no answer
 * came (the network failed or the call timed out, after the retries) `status` is 0 and `code` is
 * `network_error` or `timeout`, with the underlying error as `cause`.
 */
export interface ProblemFieldError {
  path: string
  message: string
}

export class HookrelayError extends Error {
  override name = 'HookrelayError'
  /** HTTP status, or 0 when no answer came. */
  readonly status: number
  /** Stable snake_case code, e.g. `endpoint_not_found`, `validation_failed`, `network_error`. */
  readonly code: string
  /** A sentence for people. */
  readonly detail: string
  /** Field-level errors of a 400/422 (empty otherwise). */
  readonly errors: ProblemFieldError[]
  /** The whole problem document as received (null when there was none). */
  readonly problem: Record<string, unknown> | null

  constructor(fields: { status: number; code: string; detail: string; errors?: ProblemFieldError[]; problem?: Record<string, unknown> | null; cause?: unknown }) {
    super(`${fields.status === 0 ? '' : `${fields.status} `}${fields.code}: ${fields.detail}`, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.status = fields.status
    this.code = fields.code
    this.detail = fields.detail
    this.errors = fields.errors ?? []
    this.problem = fields.problem ?? null
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The error for a non-2xx answer: its problem document, or what can be said without one (a proxy's HTML page). */
export function errorFromResponse(status: number, body: unknown): HookrelayError {
  if (isRecord(body) && typeof body.code === 'string') {
    const errors = Array.isArray(body.errors)
      ? body.errors.filter(isRecord).map((e) => ({ path: typeof e.path === 'string' ? e.path : '', message: typeof e.message === 'string' ? e.message : '' }))
      : []
    const detail = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `HTTP ${status}`
    return new HookrelayError({ status, code: body.code, detail, errors, problem: body })
  }
  const text = typeof body === 'string' && body.length > 0 ? `: ${body.slice(0, 200)}` : ''
  return new HookrelayError({ status, code: 'unexpected_response', detail: `HTTP ${status} without a problem document${text}` })
}
