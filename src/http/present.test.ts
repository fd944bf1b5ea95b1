import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../core/model.js'
import { eventJson, presentEvent } from './present.js'

describe('eventJson', () => {
  it('is exactly JSON.stringify(presentEvent(e))', () => {
    const base: StoredEvent = {
      id: 'evt_01',
      tenantId: 't',
      type: 'invoice.paid',
      payloadJson: JSON.stringify({ a: 1, s: 'quote " and \\ backslash', nested: { x: [1, 2] }, u: '\u2028' }),
      channels: ['c1', 'c"2'],
      idempotencyKey: null,
      occurredAt: 1_700_000_000_123,
      createdAt: 1_700_000_000_456,
      deliveryCount: 3,
    }
    for (const e of [base, { ...base, idempotencyKey: 'key "1"', channels: [] }]) {
      expect(JSON.parse(eventJson(e))).toEqual(presentEvent(e))
      expect(eventJson(e)).toBe(JSON.stringify(presentEvent(e)))
    }
  })
})
