import { newId } from '../../src/core/ids.js'
import type { Endpoint } from '../../src/core/model.js'
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
    createdAt: 0,
    updatedAt: 0,
    ...over,
  }
}
