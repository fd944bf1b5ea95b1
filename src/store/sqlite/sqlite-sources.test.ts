import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { SourceRequest } from '../../core/model.js'
import type { SourceRequestWrite, Store } from '../store.js'
import { sourceRecord } from '../../../test/helpers/records.js'
import { openSqliteStore } from './sqlite-store.js'

let dir: string
let store: Store
const T0 = Date.UTC(2026, 0, 1)

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookrelay-sources-'))
  store = openSqliteStore({ dataDir: dir, synchronous: 'NORMAL' })
  await store.createTenant({ id: 't', name: 't', metadata: {}, createdAt: T0, updatedAt: T0 })
  await store.createSource(sourceRecord({ id: 'src_1', tenantId: 't', name: 's', createdAt: T0, updatedAt: T0 }), null)
})
afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const request = (n: number, at: number): SourceRequestWrite['log'] => ({
  id: `req_${String(n).padStart(4, '0')}`,
  sourceId: 'src_1',
  receivedAt: at,
  status: 'accepted',
  eventType: 'a.b',
  idempotencyKey: `k${n}`,
  error: null,
  actions: [{ action: 'publish', status: 'succeeded', error: null, eventId: `evt_${n}` }],
  request: { method: 'POST', path: '/in/src_1', headers: { 'x-a': '1' }, body: Buffer.from(`{"n":${n}}`) },
})

it('keeps requests as written, newest first, and prunes those older than the retention', async () => {
  const day = 86_400_000
  await store.recordSourceRequests([0, 1, 2, 3].map((n) => ({ log: request(n, T0 + n * day), claim: { key: `k${n}`, expiresAt: T0 + n * day + day } })))
  const all = await store.listSourceRequests('src_1', { limit: 10, after: null })
  expect(all.map((r) => r.id)).toEqual(['req_0003', 'req_0002', 'req_0001', 'req_0000'])
  const written = request(3, T0 + 3 * day)
  expect(all[0]).toEqual({ ...written, request: { ...written.request, body: '{"n":3}' } } satisfies SourceRequest)
  expect(await store.hasIdempotencyClaim('src_1', 'k1', T0 + day + 1)).toBe(true)
  expect(await store.hasIdempotencyClaim('src_1', 'k1', T0 + 2 * day)).toBe(false)

  expect(await store.pruneSourceRequests(T0 + 2 * day)).toBe(2)
  const kept = await store.listSourceRequests('src_1', { limit: 10, after: null })
  expect(kept.map((r) => r.id)).toEqual(['req_0003', 'req_0002'])
  expect(await store.pruneSourceRequests(T0 + 10 * day)).toBe(2)
  expect(await store.listSourceRequests('src_1', { limit: 10, after: null })).toEqual([])
})

it('drops the log of a source deleted while its requests waited to be written', async () => {
  await store.deleteSource('t', 'src_1')
  await store.recordSourceRequests([{ log: request(1, T0), claim: { key: 'k1', expiresAt: T0 + 1000 } }])
  expect(await store.listSourceRequests('src_1', { limit: 10, after: null })).toEqual([])
})
