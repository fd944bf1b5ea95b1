import type { AuthConfig, Endpoint } from '../../api/types'
import { objectOf, rowsOf, type Row } from '../../components/KeyValueRows'

/** The endpoint form's state: strings where a person types, converted to the API's body on save. */
export interface Draft {
  name: string
  description: string
  url: string
  method: Endpoint['method']
  enabled: boolean
  eventTypes: string[]
  channels: string
  auth: AuthConfig & { token?: string; username?: string; password?: string; name?: string; value?: string }
  headers: Row[]
  queryParams: Row[]
  format: 'json' | 'text'
  template: string
  extraFields: string
  includeRequestBody: boolean
  includeResponseBody: boolean
  includeHeaders: boolean
  includeStatusCode: boolean
  retryEnabled: boolean
  maxRetries: string
  schedule: string
  timeoutSeconds: string
  rateLimitPerSecond: string
  ordering: 'none' | 'fifo'
  /** Whether the server shows `ordering` (older servers refuse the field, so it is sent only then or for fifo). */
  orderingKnown: boolean
  metadata: string
}

export const emptyDraft: Draft = {
  name: '',
  description: '',
  url: '',
  method: 'POST',
  enabled: true,
  eventTypes: [],
  channels: '',
  auth: { type: 'none' },
  headers: [],
  queryParams: [],
  format: 'json',
  template: '',
  extraFields: '{}',
  includeRequestBody: true,
  includeResponseBody: true,
  includeHeaders: false,
  includeStatusCode: true,
  retryEnabled: true,
  maxRetries: '3',
  schedule: '',
  timeoutSeconds: '30',
  rateLimitPerSecond: '',
  ordering: 'none',
  orderingKnown: false,
  metadata: '{}',
}

export function draftOf(e: Endpoint): Draft {
  return {
    name: e.name,
    description: e.description,
    url: e.url,
    method: e.method,
    enabled: e.enabled,
    eventTypes: e.eventTypes,
    channels: e.channels.join(', '),
    auth: e.auth,
    headers: rowsOf(e.headers),
    queryParams: rowsOf(e.queryParams),
    format: e.payload.format,
    template: e.payload.template ?? '',
    extraFields: JSON.stringify(e.payload.extraFields, null, 2),
    includeRequestBody: e.payload.includeRequestBody,
    includeResponseBody: e.payload.includeResponseBody,
    includeHeaders: e.payload.includeHeaders,
    includeStatusCode: e.payload.includeStatusCode,
    retryEnabled: e.retry.enabled,
    maxRetries: String(e.retry.maxRetries),
    schedule: (e.retry.schedule ?? []).join(', '),
    timeoutSeconds: String(e.timeoutSeconds),
    rateLimitPerSecond: e.rateLimitPerSecond === null ? '' : String(e.rateLimitPerSecond),
    ordering: e.ordering ?? 'none',
    orderingKnown: e.ordering !== undefined,
    metadata: JSON.stringify(e.metadata, null, 2),
  }
}

/** A field the form could not turn into the API's type: reported like a problem's errors[]. */
export class DraftError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message)
  }
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

function jsonObject(text: string, path: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text.trim() === '' ? '{}' : text)
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
  } catch {
    // reported below
  }
  throw new DraftError(path, 'must be a JSON object, such as {"team": "billing"}')
}

function int(text: string, path: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n)) throw new DraftError(path, 'must be a whole number')
  return n
}

function authBody(a: Draft['auth']): Record<string, unknown> {
  switch (a.type) {
    case 'bearer':
      return { type: 'bearer', token: a.token ?? '' }
    case 'basic':
      return { type: 'basic', username: a.username ?? '', password: a.password ?? '' }
    case 'header':
      return { type: 'header', name: a.name ?? '', value: a.value ?? '' }
    default:
      return { type: 'none' }
  }
}

/** The API body (as for create) from the form. Throws DraftError naming the field it cannot read. */
export function bodyOf(d: Draft): Record<string, unknown> {
  const schedule = list(d.schedule).map((s) => int(s, '/retry/schedule'))
  return {
    name: d.name,
    description: d.description,
    url: d.url,
    method: d.method,
    enabled: d.enabled,
    eventTypes: d.eventTypes,
    channels: list(d.channels),
    auth: authBody(d.auth),
    headers: objectOf(d.headers),
    queryParams: objectOf(d.queryParams),
    payload: {
      format: d.format,
      template: d.template.trim() === '' ? null : d.template,
      extraFields: jsonObject(d.extraFields, '/payload/extraFields'),
      includeRequestBody: d.includeRequestBody,
      includeResponseBody: d.includeResponseBody,
      includeHeaders: d.includeHeaders,
      includeStatusCode: d.includeStatusCode,
    },
    retry: { enabled: d.retryEnabled, maxRetries: int(d.maxRetries, '/retry/maxRetries'), schedule: schedule.length === 0 ? null : schedule },
    timeoutSeconds: int(d.timeoutSeconds, '/timeoutSeconds'),
    rateLimitPerSecond: d.rateLimitPerSecond.trim() === '' ? null : int(d.rateLimitPerSecond, '/rateLimitPerSecond'),
    ...(d.orderingKnown || d.ordering !== 'none' ? { ordering: d.ordering } : {}),
    metadata: jsonObject(d.metadata, '/metadata'),
  }
}

/** For an edit: only what changed, so masked credentials and fields this form does not know stay as stored. */
export function changes(body: Record<string, unknown>, original: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) if (JSON.stringify(v) !== JSON.stringify(original[k])) out[k] = v
  return out
}
