import type { FieldError } from '../errors.js'
import type { EndpointAuth } from '../core/model.js'
import { buildOutboundRequest, type BuiltRequest } from '../core/shaping/outbound-request.js'
import type { OutboundEvent, Owner } from '../core/shaping/payload-body.js'
import { compileShape, renderTarget, templatePaths, type ShapeFields } from '../core/shaping/request-shape.js'
import { isTemplate, TOO_SLOW } from '../core/shaping/templates.js'

/** What building an endpoint's requests needs: the inputs of compileShape, all plain data. */
export interface ShapeInput {
  endpoint: ShapeFields
  tenant: Owner
  auth: EndpointAuth<string>
  /** HOOKRELAY_MAX_PAYLOAD_BYTES: what one render may output. */
  maxOutputBytes: number
}

/** What the endpoint service checks when an endpoint is saved: every template parses, and the URL and headers render. */
export interface ShapeCheck {
  errors: FieldError[]
  /** The rendered URL, when nothing failed. */
  url: string | null
}

/**
 * One unit of work for a render thread: `build` makes one attempt's request (as
 * buildOutboundRequest), `check` what saving an endpoint needs (ShapeCheck).
 */
export type RenderJob =
  | { kind: 'build'; input: ShapeInput; event: OutboundEvent; secrets: string[]; nowMs: number }
  | { kind: 'check'; input: ShapeInput }

export type RenderJobResult<J extends RenderJob> = J extends { kind: 'build' } ? BuiltRequest : ShapeCheck

/**
 * Runs a job synchronously: compiles the endpoint's templates (each source is parsed once and
 * kept, templates.ts) and renders. `onField` hears of each template just before it renders, by
 * its index in templatePaths, so that the thread can say which one a stopped render was.
 */
export function runRenderJob<J extends RenderJob>(job: J, onField?: (index: number) => void): RenderJobResult<J>
export function runRenderJob(job: RenderJob, onField?: (index: number) => void): BuiltRequest | ShapeCheck {
  const { input } = job
  const { shape, errors } = compileShape(input.endpoint, input.tenant, input.auth, input.maxOutputBytes)
  if (job.kind === 'build') {
    // Stored endpoints compiled when they were saved; one that no longer does (saved by an older
    // version) fails its attempts with kind `template`.
    if (errors.length > 0) return failedBuild(input, errors.map((e) => `${e.path.slice(1)} ${e.message}`).join('; '))
    return buildOutboundRequest({ shape, event: job.event, secrets: job.secrets, nowMs: job.nowMs, onField })
  }
  if (errors.length > 0) return { errors, url: null }
  const target = renderTarget(shape, onField)
  return target.ok ? { errors: [], url: target.url } : { errors: [{ path: target.path, message: target.message }], url: null }
}

/** A build that failed before anything was rendered: the attempt records the method and URL as configured. */
export function failedBuild(input: ShapeInput, message: string, transient = false): BuiltRequest {
  const logged = { method: input.endpoint.method, url: input.endpoint.url, headers: {}, body: '' }
  return transient ? { ok: false, logged, message, transient } : { ok: false, logged, message }
}

/** Why a job whose thread was stopped at its deadline failed. */
export const STOPPED_SLOW = `${TOO_SLOW}; it was stopped`

/**
 * The result of a job whose render thread was stopped (STOPPED_SLOW) or died (out of memory).
 * `field` is the index (templatePaths) of the template it was rendering, if known. `transient`:
 * the failure is not the template's (stopped on a wall-clock deadline, or no thread could take the
 * job), so a delivery tries it again (BuiltRequest).
 */
export function stoppedJob<J extends RenderJob>(job: J, field: number | null, why: string, transient: boolean): RenderJobResult<J>
export function stoppedJob(job: RenderJob, field: number | null, why: string, transient: boolean): BuiltRequest | ShapeCheck {
  const paths = templatePaths(job.input.endpoint)
  const path = field === null ? firstTemplatePath(job.input) : (paths[field] ?? '/payload/template')
  const message = `template failed to render: ${why}`
  if (job.kind === 'check') return { errors: [{ path, message }], url: null }
  // As buildOutboundRequest words it: the URL's and headers' failures name the field, the body's does not.
  return failedBuild(job.input, path === '/payload/template' ? message : `${path.slice(1)} ${message}`, transient)
}

function firstTemplatePath(input: ShapeInput): string {
  const ep = input.endpoint
  const paths = templatePaths(ep)
  const sources = [ep.url, ...Object.values(ep.headers)]
  const i = sources.findIndex(isTemplate)
  return i >= 0 ? paths[i]! : '/payload/template'
}

/** How many templates a job may render: its deadline allows each its limit. */
export function renderCount(input: ShapeInput): number {
  const ep = input.endpoint
  return [ep.url, ...Object.values(ep.headers)].filter(isTemplate).length + (ep.payload.template !== null ? 1 : 0)
}
