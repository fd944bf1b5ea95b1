import type { OpenAPIV3_1 } from 'openapi-types'
import { errorCatalog, type ErrorCode } from '../errors.js'
import { problem } from './error-handler.js'
import type { RouteAccess } from './route-access.js'

declare module 'fastify' {
  interface FastifySchema {
    /**
     * Error codes this operation answers beyond those its shape implies (see impliedCodes): a
     * conflict, a refused value found after validation. Read and removed by completeDocument.
     */
    'x-problems'?: readonly ErrorCode[]
    /** Set on a route that takes its body as raw bytes, whatever the content type (no 415). */
    'x-raw-body'?: true
  }
}

/**
 * @fastify/swagger's transform: carries who may call the route (config.access, config.adminOnly:
 * see route-access.ts) into the operation as x-access, for impliedCodes; completeDocument removes it.
 */
export function markAccess({ schema, url, route }: { schema: object; url: string; route: { config?: { access?: RouteAccess; adminOnly?: string } } }) {
  const access = route.config?.adminOnly !== undefined ? 'admin' : route.config?.access
  return { schema: access === undefined ? schema : { ...schema, 'x-access': access }, url }
}

/**
 * The OpenAPI fields of one route: `const op = operations('endpoints')`, then
 * `schema: { ...op('createEndpoint', 'Create an endpoint', 'What it does...', ['url_not_allowed']), body, ... }`.
 * The error responses are added to the document by completeDocument (app.ts), from the route's
 * shape and the codes named here.
 */
export function operations(tag: string) {
  return (operationId: string, summary: string, description: string, problems: readonly ErrorCode[] = []) => ({
    tags: [tag],
    operationId,
    summary,
    description,
    ...(problems.length > 0 ? { 'x-problems': problems } : {}),
  })
}

type Operation = OpenAPIV3_1.OperationObject & { 'x-problems'?: ErrorCode[]; 'x-raw-body'?: true; 'x-access'?: RouteAccess | 'admin' }
type Method = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace'
const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/**
 * The error codes every operation of this shape can answer, whatever it does:
 * - under /v1/: no or a wrong token (401), a token that may not act there (403, unless any token
 *   may: x-access 'anyone'), a portal session without the route's capability (403);
 * - a path parameter: an id that names nothing (404), a path that cannot be decoded (400);
 * - a method with a body (POST, PUT, PATCH, DELETE): malformed JSON (400), a body over the limit
 *   (413), another content type (415, unless the route reads raw bytes: x-raw-body), a body that fails its schema or nests too deep (422);
 * - a query string: a value that fails its schema (422), a cursor this list never gave (422);
 * - any operation but /healthz and /metrics: 503 on a node run with --role worker.
 */
export function impliedCodes(path: string, method: string, op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = []
  const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]
  if (path.startsWith('/v1/')) {
    codes.push('unauthorized')
    const access = op['x-access']
    if (access !== 'anyone') codes.push('forbidden')
    if (typeof access === 'object') codes.push('capability_missing')
  }
  if (params.some((p) => p.in === 'path')) codes.push('bad_request', 'not_found')
  if (['post', 'put', 'patch', 'delete'].includes(method)) {
    codes.push('malformed_json', 'payload_too_large', 'too_deeply_nested')
    if (op['x-raw-body'] !== true) codes.push('unsupported_media_type')
    if (op.requestBody !== undefined) codes.push('validation_failed')
  }
  const query = params.filter((p) => p.in === 'query')
  if (query.length > 0) codes.push('validation_failed')
  if (query.some((p) => p.name === 'cursor')) codes.push('invalid_cursor')
  // Every node, a worker too, serves /healthz and /metrics.
  if (path !== '/healthz' && path !== '/metrics') codes.push('service_unavailable')
  return codes
}

const RESPONSE_NAMES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  500: 'Internal error',
  503: 'Service unavailable',
}
const SUCCESS_NAMES: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' }
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' }

/** An RFC 9457 problem response naming its codes, each with an example document. */
function problemResponse(status: number, codes: readonly ErrorCode[]): OpenAPIV3_1.ResponseObject {
  const lines = codes.map((c) => `\`${c}\`: ${errorCatalog[c].detail}`)
  return {
    description: `${RESPONSE_NAMES[status] ?? 'Error'}. ${lines.join(' ')}`,
    content: {
      'application/problem+json': {
        schema: PROBLEM_REF,
        examples: Object.fromEntries(codes.map((c) => [c, { summary: errorCatalog[c].title, value: problem(c) }])),
      },
    },
  }
}

/**
 * @fastify/swagger's transformObject: the Problem schema once, every operation's error responses
 * (implied by its shape plus its `x-problems`, grouped by status, plus `default` for anything
 * unexpected), and a plain name for the success responses that had none.
 */
export function completeDocument(doc: Partial<OpenAPIV3_1.Document>): Partial<OpenAPIV3_1.Document> {
  doc.components ??= {}
  doc.components.schemas = { ...doc.components.schemas, Problem: PROBLEM_SCHEMA }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method] as Operation | undefined
      if (op === undefined) continue
      const codes = [...new Set([...impliedCodes(path, method, op), ...(op['x-problems'] ?? [])])]
      delete op['x-problems']
      delete op['x-raw-body']
      delete op['x-access']
      const byStatus = new Map<number, ErrorCode[]>()
      for (const c of codes) byStatus.set(errorCatalog[c].status, [...(byStatus.get(errorCatalog[c].status) ?? []), c])
      const responses: OpenAPIV3_1.ResponsesObject = {}
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const res = r as OpenAPIV3_1.ResponseObject
        responses[status] = res.description === 'Default Response' ? { ...res, description: SUCCESS_NAMES[status] ?? 'Success' } : res
      }
      // A problem response a route declares itself (schemas.ts `problems()`) gives way to the full
      // one; any other error body it declares (/healthz's 503) stays as the route says.
      for (const status of [...byStatus.keys()].sort()) {
        const declared = responses[String(status)]
        if (declared === undefined || isProblem(declared)) responses[String(status)] = problemResponse(status, byStatus.get(status)!)
      }
      for (const [status, res] of Object.entries(responses)) if (Number(status) >= 400 && !byStatus.has(Number(status)) && isProblem(res)) delete responses[status]
      responses.default = problemResponse(500, ['internal_error'])
      op.responses = responses
    }
  }
  return doc
}

/** Whether a response a route declared is a problem document (it has `code` and `detail`). */
function isProblem(res: unknown): boolean {
  const content = (res as OpenAPIV3_1.ResponseObject).content ?? {}
  return Object.values(content).some((m: OpenAPIV3_1.MediaTypeObject) => {
    const props: Record<string, unknown> = (m.schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}
    return 'code' in props && 'detail' in props
  })
}

/** The problem document (RFC 9457) of every error, as API.md defines it. */
const PROBLEM_SCHEMA: OpenAPIV3_1.SchemaObject = {
  type: 'object',
  description: 'An RFC 9457 problem document (content-type application/problem+json). `code` is stable; docs/errors.md lists every code.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'A URI naming the code.' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'A human sentence.' },
    code: { type: 'string', enum: Object.keys(errorCatalog), description: 'A stable snake_case code.' },
    errors: {
      type: 'array',
      description: 'The fields at fault, when there are any.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string', description: 'A JSON Pointer into the body, or /query/..., /params/...' }, message: { type: 'string' } },
      },
    },
  },
}
