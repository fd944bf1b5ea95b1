/**
 * The Store contract for writing the request log of inbound sources in batches, on every dialect:
 * one row that cannot be written is lost alone, never with the rows of other sources and tenants
 * that shared its batch.
 */
import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { SourceRequestWrite, Store } from '../../src/store/store.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'
import { sourceRecord } from '../helpers/records.js'

const dialects = await contractDialects()
const T0 = 1_800_000_000_000
const first = { limit: 100, after: null }

for (const dialect of dialects) {
  describeDialect(dialect, 'Store contract: the request log', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    const source = async (tenantId: string): Promise<string> => {
      const src = sourceRecord({ tenantId, eventTypePath: 'type', idempotency: { keyPath: 'id', windowSeconds: 86400 }, createdAt: T0, updatedAt: T0 })
      await store.createSource(src, null)
      return src.id
    }
    const write = (sourceId: string, n: number, key: string | null = null): SourceRequestWrite => ({
      log: {
        id: `req_${String(n).padStart(4, '0')}`,
        sourceId,
        receivedAt: T0 + n,
        status: 'accepted',
        eventType: `type.${n}`,
        idempotencyKey: key,
        error: null,
        actions: [],
        request: { method: 'POST', path: `/in/${sourceId}`, headers: {}, body: Buffer.from(`{"n":${n}}`) },
      },
      claim: key === null ? null : { key, expiresAt: T0 + 1000 },
    })

    it('writes the other rows of a batch when one of them cannot be written', async () => {
      const a = await source('t1')
      const b = await source('t2')
      // A row no dialect can write: its actions cannot be serialized.
      const broken = write(a, 2)
      broken.log.actions = [{ action: 'publish', status: 'succeeded', error: null, eventId: 1n as unknown as string }]
      // A key larger than a PostgreSQL index entry (random, so it does not compress below the limit):
      // SQLite keeps it, PostgreSQL refuses it. Callers bound their keys (core/idempotency-key.ts); a
      // row that slips through must still not take the others with it.
      const huge = randomBytes(4500).toString('base64')
      const batch = [write(a, 1, 'k-1'), broken, write(b, 3, 'k-3'), write(a, 4, huge), write(b, 5)]
      // The rows not written are reported, once the others are.
      const outcome = await store.recordSourceRequests(batch).then(
        () => 'all written',
        (e: unknown) => String(e),
      )

      const ofA = (await store.listSourceRequests(a, first)).map((r) => r.eventType)
      expect(ofA.filter((t) => t !== 'type.4')).toEqual(['type.1'])
      expect((await store.listSourceRequests(b, first)).map((r) => r.eventType)).toEqual(['type.5', 'type.3'])
      expect(await store.hasIdempotencyClaim(a, 'k-1', T0)).toBe(true)
      expect(await store.hasIdempotencyClaim(b, 'k-3', T0)).toBe(true)
      // Rows written one by one keep the order received, which pruning relies on.
      expect(await store.pruneSourceRequests(T0 + 4)).toBe(2)
      expect((await store.listSourceRequests(b, first)).map((r) => r.eventType)).toEqual(['type.5'])
      expect(outcome).toMatch(/request log rows could not be written/)
    })

    it('writes a whole batch of good rows in one go, as before', async () => {
      const a = await source('t1')
      await store.recordSourceRequests([write(a, 1, 'k'), write(a, 2)])
      expect((await store.listSourceRequests(a, first)).map((r) => r.eventType)).toEqual(['type.2', 'type.1'])
    })
  })
}
