import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { Endpoint } from '../../src/core/model.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestDatabase, type TestDatabase } from './postgres.js'
import { endpointRecord } from './records.js'

export interface TwoNodes {
  db: TestDatabase
  /** Two stores on the one database, each with its own pool, as two processes would have. */
  a: Store
  b: Store
  /** An endpoint of tenant `t1`, made afresh (with its tenant) before each test. */
  ep: Endpoint
}

/**
 * Two nodes on one PostgreSQL database made for the calling test file, dropped after it. Before
 * each test, tenant `t1` is recreated with one endpoint and `set` is told the lot.
 */
export function useTwoNodes(o: { t0: number; poolSize: number }, set: (nodes: TwoNodes) => void): void {
  let db: TestDatabase | undefined
  let a: Store | undefined
  let b: Store | undefined
  beforeAll(async () => {
    db = await createTestDatabase()
    const url = db.url
    ;[a, b] = await Promise.all([openPostgresStore({ url, poolSize: o.poolSize }), openPostgresStore({ url, poolSize: o.poolSize })])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
    await db?.drop()
  })
  beforeEach(async () => {
    await a!.deleteTenant('t1')
    await a!.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: o.t0, updatedAt: o.t0 })
    const ep = endpointRecord({ tenantId: 't1', createdAt: o.t0, updatedAt: o.t0 })
    await a!.createEndpoint(ep, { current: 'sealed', previous: [] })
    set({ db: db!, a: a!, b: b!, ep })
  })
}
