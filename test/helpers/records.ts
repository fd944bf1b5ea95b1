import { newId } from '../../src/core/ids.js'
import type { Endpoint, Source } from '../../src/core/model.js'
import { DEFAULT_PAYLOAD } from '../../src/core/shaping/payload-body.js'

/** A whole endpoint record with every field at its API default, for tests below the HTTP layer. */
export function endpointRecord(over: Partial<Endpoint> & { tenantId: string }): Endpoint {
  return {
    id: newId('ep'),
    name: '',
    description: '',
    url: 'http://127.0.0.1:1/hook',
    method: 'POST',
    auth: { type: 'none' },
    headers: {},
    queryParams: {},
    payload: DEFAULT_PAYLOAD,
    enabled: true,
    disabledReason: null,
    eventTypes: [],
    channels: [],
    retry: { enabled: true, maxRetries: 3, schedule: null },
    timeoutSeconds: 30,
    rateLimitPerSecond: null,
    metadata: {},
    failingSince: null,
    degradedSince: null,
    ordering: 'none',
    createdAt: 0,
    updatedAt: 0,
    ...over,
  }
}

/**
 * A whole inbound source record with verification `none` and the API's defaults (eventTypePath
 * `event_type`, no timestamp path, no idempotency, no mappings), for tests below the HTTP layer.
 */
export function sourceRecord(over: Partial<Source> & { tenantId: string }): Source {
  return {
    id: newId('src'),
    name: 'src',
    enabled: true,
    verification: { type: 'none', header: null, encoding: null, prefix: null, toleranceSeconds: 300 },
    secretHint: null,
    eventTypePath: 'event_type',
    timestampPath: null,
    idempotency: null,
    mappings: [],
    createdAt: 0,
    updatedAt: 0,
    ...over,
  }
}
