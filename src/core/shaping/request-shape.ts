import type { FieldError } from '../../errors.js'
import type { Endpoint, EndpointAuth, HttpMethod, PayloadSettings } from '../model.js'
import { headerNameProblem, headerValueProblem } from './header-rules.js'
import { maskSecret } from './mask-header.js'
import type { Owner } from './payload-body.js'
import { compileTemplate, DEFAULT_MAX_OUTPUT_BYTES, isTemplate, renderTemplate, transientOf, type CompiledTemplate, type Rendered } from './templates.js'

/** A string that may be Liquid: compiled once when the endpoint is loaded, rendered per request. */
export interface TextTemplate {
  source: string
  template: CompiledTemplate | null
}

/** An endpoint with its custom header values in the clear, as building requests needs them (auth is given apart). */
export type OpenEndpoint = Omit<Endpoint, 'headers'> & { headers: Record<string, string> }

/** The header an endpoint's auth adds, and the same header as the attempt log shows it. */
export interface AuthHeader {
  name: string
  value: string
  masked: string
}

/** An endpoint's request settings, compiled: what building each request needs, without re-parsing. */
export interface RequestShape {
  method: HttpMethod
  url: TextTemplate
  headers: Array<{ name: string; value: TextTemplate }>
  queryParams: Array<[string, string]>
  auth: AuthHeader | null
  payload: PayloadSettings
  body: CompiledTemplate | null
  endpoint: Owner
  tenant: Owner
  /** What one render may output (HOOKRELAY_MAX_PAYLOAD_BYTES); more fails the attempt with kind `template`. */
  maxOutputBytes: number
  /** The rendered URL and headers when none of them is a template: worked out once, not per request. */
  fixedTarget: RenderedTarget | null
}

export function authHeader(auth: EndpointAuth<string>): AuthHeader | null {
  switch (auth.type) {
    case 'none':
      return null
    case 'bearer':
      return { name: 'authorization', value: `Bearer ${auth.token}`, masked: `Bearer ${maskSecret(auth.token)}` }
    case 'basic': {
      // The whole base64 is masked: its last characters would decode to the password's last ones.
      return { name: 'authorization', value: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`, masked: 'Basic ****' }
    }
    case 'header':
      return { name: auth.name, value: auth.value, masked: maskSecret(auth.value) }
  }
}

/** What of an endpoint shapes its requests. */
export type ShapeFields = Pick<OpenEndpoint, 'id' | 'name' | 'metadata' | 'method' | 'url' | 'headers' | 'queryParams' | 'payload'>

/**
 * Whether any of the fields Liquid may shape (URL, header values, body) is a template. Those
 * endpoints' requests are built on a render thread; the others here, without Liquid.
 */
export const hasTemplates = (ep: Pick<OpenEndpoint, 'url' | 'headers' | 'payload'>): boolean =>
  ep.payload.template !== null || isTemplate(ep.url) || Object.values(ep.headers).some(isTemplate)

/**
 * The fields an endpoint renders, in the order a request renders them, as JSON Pointers: a render
 * thread says which one it is on by its index, so a render that is stopped can be named.
 */
export const templatePaths = (ep: Pick<OpenEndpoint, 'headers'>): string[] => ['/url', ...Object.keys(ep.headers).map((name) => `/headers/${pointerEscape(name)}`), '/payload/template']

/**
 * Compiles an endpoint's templates. Errors carry the field's path; the endpoint service refuses
 * them with 422 when the endpoint is saved, so a stored endpoint always compiles.
 */
export function compileShape(
  ep: ShapeFields,
  tenant: Owner,
  auth: EndpointAuth<string>,
  maxOutputBytes: number = DEFAULT_MAX_OUTPUT_BYTES,
): { shape: RequestShape; errors: FieldError[] } {
  const errors: FieldError[] = []
  const text = (source: string, path: string): TextTemplate => {
    if (!isTemplate(source)) return { source, template: null }
    const c = compileTemplate(source)
    if (c.ok) return { source, template: c.template }
    errors.push({ path, message: `is not a valid Liquid template: ${c.message}` })
    return { source, template: null }
  }
  let body: CompiledTemplate | null = null
  if (ep.payload.template !== null) {
    const c = compileTemplate(ep.payload.template)
    if (c.ok) body = c.template
    else errors.push({ path: '/payload/template', message: `is not a valid Liquid template: ${c.message}` })
  }
  const shape: RequestShape = {
    method: ep.method,
    url: text(ep.url, '/url'),
    headers: Object.entries(ep.headers).map(([name, value]) => ({ name, value: text(value, `/headers/${pointerEscape(name)}`) })),
    queryParams: Object.entries(ep.queryParams),
    auth: authHeader(auth),
    payload: ep.payload,
    body,
    endpoint: { id: ep.id, name: ep.name, metadata: ep.metadata },
    tenant,
    maxOutputBytes,
    fixedTarget: null,
  }
  if (shape.url.template === null && shape.headers.every((h) => h.value.template === null)) shape.fixedTarget = renderTarget(shape)
  return { shape, errors }
}

/** `transient`: as Rendered's (templates.ts). */
export type RenderedTarget = { ok: true; url: string; headers: Array<[string, string]> } | { ok: false; path: string; message: string; transient?: true }

/**
 * The URL and custom headers for this endpoint and tenant: Liquid over `endpoint` and `tenant`
 * (their `id`, `name` and `metadata`), so one endpoint definition can carry per-customer values.
 * `onField` hears of each template just before it is rendered.
 */
export function renderTarget(shape: RequestShape, onField?: (index: number) => void): RenderedTarget {
  if (shape.fixedTarget !== null) return shape.fixedTarget
  const context = { endpoint: shape.endpoint, tenant: shape.tenant }
  // `index` as in templatePaths.
  const render = (t: TextTemplate, index: number): Rendered => {
    if (t.template === null) return { ok: true, text: t.source }
    onField?.(index)
    return renderTemplate(t.template, context, shape.maxOutputBytes)
  }
  const url = render(shape.url, 0)
  if (!url.ok) return { ok: false, path: '/url', message: `template failed to render: ${url.message}`, ...transientOf(url) }
  const urlText = url.text.trim()
  if (!/^https?:\/\//i.test(urlText) || !URL.canParse(urlText)) {
    const what = shape.url.template === null ? 'must be' : `rendered to ${JSON.stringify(urlText.slice(0, 200))}, which is not`
    return { ok: false, path: '/url', message: `${what} an absolute http:// or https:// URL` }
  }
  const headers: Array<[string, string]> = []
  for (const [i, h] of shape.headers.entries()) {
    const path = `/headers/${pointerEscape(h.name)}`
    const v = render(h.value, i + 1)
    if (!v.ok) return { ok: false, path, message: `template failed to render: ${v.message}`, ...transientOf(v) }
    const problem = headerValueProblem(v.text)
    if (problem) return { ok: false, path, message: `rendered value ${problem}` }
    headers.push([h.name, v.text])
  }
  return { ok: true, url: urlText, headers }
}

/**
 * What the schema cannot check in the request settings: header names, auth clashing with a custom
 * header, combinations that cannot be sent.
 */
export function shapeRuleErrors(ep: Pick<OpenEndpoint, 'method' | 'headers' | 'payload'>, auth: EndpointAuth<string>): FieldError[] {
  const errors: FieldError[] = []
  const authName = authHeader(auth)?.name.toLowerCase()
  for (const [name, value] of Object.entries(ep.headers)) {
    const path = `/headers/${pointerEscape(name)}`
    const problem = headerNameProblem(name) ?? headerValueProblem(value)
    if (problem) errors.push({ path, message: problem })
    else if (authName !== undefined && name.toLowerCase() === authName) errors.push({ path, message: `clashes with the ${auth.type} auth header; set it in one place` })
  }
  if (auth.type === 'header') {
    const problem = headerNameProblem(auth.name) ?? headerValueProblem(auth.value)
    if (problem) errors.push({ path: auth.name === '' || headerNameProblem(auth.name) ? '/auth/name' : '/auth/value', message: problem })
  }
  const tokenProblem = auth.type === 'bearer' ? headerValueProblem(auth.token) : null
  if (tokenProblem) errors.push({ path: '/auth/token', message: tokenProblem })
  if (ep.method === 'GET' && ep.payload.format === 'text') {
    errors.push({ path: '/payload/format', message: 'GET sends the JSON body fields as query parameters, so the format must be json' })
  }
  if (ep.payload.format === 'text' && Object.keys(ep.payload.extraFields).length > 0) {
    errors.push({ path: '/payload/extraFields', message: 'apply to JSON bodies only; the format is text' })
  }
  return errors
}

/** RFC 6901: `~` and `/` in a key are escaped in a JSON Pointer. */
const pointerEscape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1')
