import type { AttemptRequest } from '../core/model.js'
import type { OutboundEvent } from '../core/shaping/payload-body.js'
import { buildOutboundRequest, type BuiltRequest } from '../core/shaping/outbound-request.js'
import { renderBounded } from '../rendering/render-bounded.js'
import type { SendTarget } from '../services/endpoint-directory.js'
import type { OutboundRequest, SendResult, Sender } from './sender.js'

export interface SentAttempt {
  result: SendResult
  /** The request as the attempt log keeps it: the auth credential masked. */
  logged: AttemptRequest
  /** The body was the event's default envelope, which the event row already holds. */
  envelope: boolean
  /** A template failure that is not the template's fault (BuiltRequest): tried again like a timeout. */
  transient: boolean
}

/**
 * Builds the endpoint's request for one event and sends it. A template that fails to render is an
 * outcome like a refused connection: nothing is sent, and the result says why with kind `template`.
 */
export async function sendAttempt(sender: Sender, target: SendTarget, event: OutboundEvent, nowMs: number): Promise<SentAttempt> {
  const built = await buildAttemptRequest(target, event, nowMs)
  if (!built.ok) {
    const error = { kind: 'template' as const, message: built.message }
    return { result: { startedAt: nowMs, durationMs: 0, response: null, error }, logged: built.logged, envelope: false, transient: built.transient === true }
  }
  const request: OutboundRequest = { ...built.request, body: built.request.method === 'GET' ? null : built.request.body, timeoutMs: target.endpoint.timeoutSeconds * 1000 }
  // Only a tenant with a list of its own sends one: the rest keep the sender's server-wide agent.
  if (target.allowedNetworks !== null) request.allowedNetworks = target.allowedNetworks
  const result = await sender.send(request)
  return { result, logged: built.logged, envelope: built.envelope, transient: false }
}

/**
 * The request one attempt to `target` sends for `event` at `nowMs`, signed, or why it cannot be
 * built (a template that fails). The one place requests are built: deliveries, test sends and the
 * preview (POST .../endpoints/preview) all come here, so whatever bounds rendering here bounds them all.
 * An endpoint with a template has its request built on a render thread, which is stopped when a
 * render runs long; the others (the plain JSON path) are built here, as nothing in them can.
 */
export async function buildAttemptRequest(target: Pick<SendTarget, 'secrets' | 'shape' | 'shapeInput'>, event: OutboundEvent, nowMs: number): Promise<BuiltRequest> {
  if (target.shape !== null) return buildOutboundRequest({ shape: target.shape, event, secrets: target.secrets, nowMs })
  return renderBounded({ kind: 'build', input: target.shapeInput, event, secrets: target.secrets, nowMs })
}
