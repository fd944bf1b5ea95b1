/**
 * Publisher.publish takes no promise turn when the tenant's endpoints and the event type's schema
 * are cached (EndpointDirectory.knownCandidates, PayloadSchemas.checkPayload answering
 * synchronously). What that must keep: a refusal (unknown tenant, payload against its schema) is
 * still a rejected promise, never a throw in the caller's turn (the gateway and ingest chain
 * .catch on it); a schema changed in this process applies to the next publish; a stale cache is
 * read again. Real stores, every dialect (test/contract/dialects.ts).
 */
import { expect, it } from 'vitest'
import { AppError } from '../../src/errors.js'
import { EndpointDirectory } from '../../src/services/endpoint-directory.js'
import { PayloadSchemas } from '../../src/services/payload-schemas.js'
import { Publisher } from '../../src/services/publisher.js'
import { loadSecretBox } from '../../src/services/secret-keys.js'
import type { Store } from '../../src/store/store.js'
import { endpointRecord } from '../helpers/records.js'
import { contractDialects, describeDialect, useDialectStore } from '../contract/dialects.js'

const dialects = await contractDialects()

const T0 = 1_800_000_000_000
const TTL_MS = 5000

for (const dialect of dialects) {
  describeDialect(dialect, 'publish: the cached path', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    async function publisherAt(clock: { t: number }) {
      const box = await loadSecretBox('0'.repeat(64), '/nonexistent', store, () => {})
      const directory = new EndpointDirectory(store, box, () => clock.t, TTL_MS)
      const schemas = new PayloadSchemas(store, () => clock.t, TTL_MS)
      return { directory, schemas, publisher: new Publisher(store, directory, null, () => clock.t, () => {}, schemas) }
    }

    /** Calls publish and says whether it threw in this turn, else what its promise settled to. */
    async function outcome(p: Publisher, tenantId: string, payload: Record<string, unknown>): Promise<string> {
      let promise: Promise<unknown>
      try {
        promise = p.publish(tenantId, { type: 'order.paid', payload })
      } catch {
        return 'threw'
      }
      return promise.then(
        () => 'published',
        (err: unknown) => (err instanceof AppError ? `refused ${err.code}` : `failed ${String(err)}`),
      )
    }

    it('refuses with a rejected promise, not a throw, once the tenant and schema are cached', async () => {
      const clock = { t: T0 }
      const { publisher, directory, schemas } = await publisherAt(clock)
      await store.createEventType({ name: 'order.paid', description: '', schema: { type: 'object', required: ['id'] }, example: null, createdAt: T0, updatedAt: T0 })
      // First publishes load the caches; the next ones take the synchronous path.
      expect(await outcome(publisher, 't1', { id: 1 })).toBe('published')
      expect(await outcome(publisher, 'nobody', { id: 1 })).toBe('refused not_found')
      expect(directory.knownCandidates('t1')).toEqual({ v: [] })
      expect(directory.knownCandidates('nobody')).toEqual({ v: null })
      expect(schemas.checkPayload('order.paid', { id: 1 })).toBeUndefined()

      expect(await outcome(publisher, 't1', { id: 2 })).toBe('published')
      expect(await outcome(publisher, 't1', {})).toBe('refused validation_failed')
      expect(await outcome(publisher, 'nobody', { id: 1 })).toBe('refused not_found')
    })

    it('a schema changed here applies to the next publish; caches past their lifetime are read again', async () => {
      const clock = { t: T0 }
      const { publisher, directory, schemas } = await publisherAt(clock)
      await store.createEventType({ name: 'order.paid', description: '', schema: null, example: null, createdAt: T0, updatedAt: T0 })
      expect(await outcome(publisher, 't1', {})).toBe('published')
      expect(schemas.checkPayload('order.paid', {})).toBeUndefined()

      await store.updateEventType('order.paid', { schema: { type: 'object', required: ['id'] } }, T0)
      schemas.invalidate('order.paid')
      expect(await outcome(publisher, 't1', {})).toBe('refused validation_failed')

      // An endpoint made by another node shows up once the tenant's entry is past its lifetime.
      await store.createEndpoint(endpointRecord({ tenantId: 't1', createdAt: T0, updatedAt: T0 }), { current: 'sealed', previous: [] })
      expect(directory.knownCandidates('t1')).toEqual({ v: [] })
      clock.t += TTL_MS
      expect(directory.knownCandidates('t1')).toBeUndefined()
      expect(schemas.checkPayload('order.paid', { id: 1 })).toBeInstanceOf(Promise)
      const published = await publisher.publish('t1', { type: 'order.paid', payload: { id: 1 } })
      expect(published.event.deliveryCount).toBe(1)
    })
  })
}
