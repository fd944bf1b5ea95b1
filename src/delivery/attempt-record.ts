import { cutUtf8 } from '../core/cut-utf8.js'
import { newId } from '../core/ids.js'
import type { Attempt, AttemptRequest, AttemptTrigger } from '../core/model.js'
import type { SendResult } from './sender.js'

/**
 * The attempt as the log keeps it. A response outside 2xx is recorded with error kind `http`
 * (API.md, attempt), so every failed attempt says why in the same place. The request body is cut
 * at 64 KiB, as the response body already is: a template may render up to the payload limit.
 */
export function attemptRecord(args: {
  deliveryId: string
  endpointId: string
  tenantId: string
  attemptNumber: number
  trigger: AttemptTrigger
  request: AttemptRequest
  result: SendResult
  success: boolean
}): Attempt {
  const { result } = args
  const status = result.response?.status
  const httpError = status !== undefined && (status < 200 || status > 299) ? { kind: 'http' as const, message: `HTTP ${status}` } : null
  return {
    id: newId('att'),
    deliveryId: args.deliveryId,
    endpointId: args.endpointId,
    tenantId: args.tenantId,
    attemptNumber: args.attemptNumber,
    trigger: args.trigger,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    request: { ...args.request, body: cutUtf8(args.request.body) },
    response: result.response,
    error: result.error ?? httpError,
    success: args.success,
  }
}
