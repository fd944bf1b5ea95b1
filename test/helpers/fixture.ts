/**
 * The usual setup of a delivery test file: one server for the describe block, receivers closed
 * after it, and helpers that create a fresh tenant per test (so tests may run concurrently).
 */
import { afterAll, beforeAll, expect } from 'vitest'
import type { Config } from '../../src/config.js'
import { startReceiver, type Receiver, type ReceiverHandler, type ReceiverOptions } from './receiver.js'
import { startTestServer, type TestServer } from './server.js'

export interface Fixture {
  /** The server; available once beforeAll has run. */
  readonly srv: TestServer
  receiver: (handler?: ReceiverHandler, opts?: ReceiverOptions) => Promise<Receiver>
  /** A new tenant named `${prefix}-N`. */
  tenant: () => Promise<string>
  /** Creates an endpoint and returns it, failing the test unless the answer is 201. */
  endpoint: (tenantId: string, body: Record<string, unknown>) => Promise<any>
}

/** Call inside a describe block: registers its beforeAll and afterAll. */
export function useFixture(prefix: string, overrides: Partial<Config> = {}): Fixture {
  let srv: TestServer | undefined
  const receivers: Receiver[] = []
  let tenants = 0
  beforeAll(async () => {
    srv = await startTestServer(overrides)
  })
  afterAll(async () => {
    // Receivers first: hanging requests then end at once instead of holding the shutdown.
    for (const r of receivers) await r.close()
    await srv?.close()
  })
  const f: Fixture = {
    get srv() {
      if (!srv) throw new Error('the server starts in beforeAll')
      return srv
    },
    receiver: async (handler, opts) => {
      const r = await startReceiver(handler, opts)
      receivers.push(r)
      return r
    },
    tenant: async () => {
      const id = `${prefix}-${++tenants}`
      expect((await f.srv.api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
      return id
    },
    endpoint: async (tenantId, body) => {
      const ep = await f.srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, body)
      expect(ep.status, JSON.stringify(ep.body)).toBe(201)
      return ep.body
    },
  }
  return f
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
