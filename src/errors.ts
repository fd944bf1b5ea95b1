/**
 * The error catalog. Every refusal the API makes carries one of these codes; they are public API,
 * documented one by one in docs/errors.md (a test keeps the two in step). Add, never rename.
 */
export const errorCatalog = {
  malformed_json: { status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' },
  bad_request: { status: 400, title: 'Bad request', detail: 'The request could not be read.' },
  unauthorized: { status: 401, title: 'Unauthorized', detail: 'A valid bearer token is required.' },
  verification_failed: { status: 401, title: 'Verification failed', detail: "The webhook's signature is missing or does not verify with the source's secret." },
  invalid_event: { status: 400, title: 'Invalid event', detail: 'The received webhook lacks what this route needs (a track call needs `event`).' },
  forbidden: { status: 403, title: 'Forbidden', detail: 'This token may not act on that resource.' },
  capability_missing: { status: 403, title: 'Capability missing', detail: "This portal session's capabilities do not include this action." },
  request_timeout: { status: 408, title: 'Request timeout', detail: 'The request did not arrive in full in time.' },
  not_found: { status: 404, title: 'Not found', detail: 'No such resource.' },
  route_not_found: { status: 404, title: 'Route not found', detail: 'No API route matches this method and path.' },
  method_not_allowed: { status: 405, title: 'Method not allowed', detail: 'This path does not take this method; the Allow header lists the methods it takes.' },
  tenant_exists: { status: 409, title: 'Tenant exists', detail: 'A tenant with this id already exists.' },
  event_type_exists: { status: 409, title: 'Event type exists', detail: 'An event type with this name already exists.' },
  route_exists: { status: 409, title: 'Route exists', detail: 'The tenant already has a route with this name.' },
  event_type_built_in: { status: 409, title: 'Built-in event type', detail: 'The server emits this event type itself; it cannot be deleted.' },
  payload_too_large: { status: 413, title: 'Payload too large', detail: 'The request body is larger than the limit (1 MiB by default).' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', detail: 'Send the body as application/json.' },
  too_deeply_nested: { status: 422, title: 'Too deeply nested', detail: 'The JSON body nests objects and arrays more than 100 levels deep.' },
  request_headers_too_large: { status: 431, title: 'Request headers too large', detail: "The request's headers are larger than the server reads." },
  validation_failed: { status: 422, title: 'Validation failed', detail: 'One or more fields are invalid; see errors.' },
  url_not_allowed: { status: 422, title: 'URL not allowed', detail: 'The endpoint URL resolves to an address deliveries may not reach.' },
  reserved_tenant: { status: 422, title: 'Reserved tenant', detail: 'Tenant ids starting with an underscore are reserved.' },
  template_failed: { status: 422, title: 'Template failed', detail: "The endpoint's template failed to render against this event." },
  series_too_long: { status: 422, title: 'Series too long', detail: 'The window holds more than 1,500 buckets; choose a larger bucket or a shorter window.' },
  invalid_cursor: { status: 422, title: 'Invalid cursor', detail: 'The cursor is not one this list returned.' },
  path_outside_route: { status: 400, title: 'Path outside the route', detail: "The gateway path, once decoded, would leave the route's upstream path." },
  upstream_unreachable: { status: 502, title: 'Upstream unreachable', detail: "The gateway route's upstream could not be reached." },
  upstream_timeout: { status: 504, title: 'Upstream timeout', detail: "The gateway route's upstream did not answer in time." },
  internal_error: { status: 500, title: 'Internal error', detail: 'The server failed to handle the request; this is a bug worth reporting.' },
  service_unavailable: { status: 503, title: 'Service unavailable', detail: 'The server is shutting down or this role does not serve the API.' },
} as const satisfies Record<string, { status: number; title: string; detail: string }>

export type ErrorCode = keyof typeof errorCatalog

export interface FieldError {
  /** JSON Pointer into the request body (or `/query/...`, `/params/...`). */
  path: string
  message: string
}

/** A refusal: the only exception type services throw on purpose. The HTTP layer renders it as RFC 9457. */
export class AppError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail ?? errorCatalog[code].detail)
    this.status = errorCatalog[code].status
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found.`)

export const invalid = (path: string, message: string): AppError =>
  new AppError('validation_failed', `${path}: ${message}`, [{ path, message }])
