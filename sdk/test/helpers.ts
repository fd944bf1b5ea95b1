/**
 * A real Hookrelay server on loopback (the repository's test server) with an SDK client for it, and
 * a way to make it deliver to a URL: what the SDK tests and the adapter tests start from.
 */
import { afterAll, beforeAll } from 'vitest'
import { startReceiver, type Receiver } from '../../test/helpers/receiver.js'
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../test/helpers/server.js'
import { Hookrelay, type HookrelayOptions } from '../src/index.js'

export interface SdkServer {
  srv: TestServer
  hr: Hookrelay
  /** A client with other options (a counting fetch, another token). */
  client(options?: Partial<HookrelayOptions>): Hookrelay
  close(): Promise<void>
}

export async function startSdkServer(): Promise<SdkServer> {
  const srv = await startTestServer()
  const client = (options: Partial<HookrelayOptions> = {}): Hookrelay => new Hookrelay({ baseUrl: srv.url, token: ADMIN_TOKEN, retryBaseMs: 10, ...options })
  return { srv, hr: client(), client, close: () => srv.close() }
}

/**
 * A describe's SDK server and receiver on loopback, started before its tests and closed after them:
 * `env.s` and `env.receiver` inside the tests.
 */
export function useSdkServerAndReceiver(): { readonly s: SdkServer; readonly receiver: Receiver } {
  let s: SdkServer | undefined
  let receiver: Receiver | undefined
  beforeAll(async () => {
    s = await startSdkServer()
    receiver = await startReceiver()
  })
  afterAll(async () => {
    await receiver?.close()
    await s?.close()
  })
  return {
    get s() {
      if (!s) throw new Error('the SDK server starts in beforeAll')
      return s
    },
    get receiver() {
      if (!receiver) throw new Error('the receiver starts in beforeAll')
      return receiver
    },
  }
}

let tenants = 0

/** A fresh tenant with one endpoint delivering every event to `url`; its secret as `whsec_...`. */
export async function endpointAt(hr: Hookrelay, url: string): Promise<{ tenantId: string; endpointId: string; secret: string }> {
  const tenant = await hr.tenants.create({ id: `sdk-${process.pid}-${++tenants}`, name: 'SDK test' })
  const endpoint = await hr.endpoints.create(tenant.id, { url, retry: { enabled: false } })
  return { tenantId: tenant.id, endpointId: endpoint.id, secret: await hr.endpoints.getSecret(tenant.id, endpoint.id) }
}

/** Collects what a receiver app's handler was given. */
export function recorder<T = unknown>(): { seen: T[]; add(v: T): void; wait(n: number, timeoutMs?: number): Promise<T[]> } {
  const seen: T[] = []
  const waiters = new Set<() => void>()
  return {
    seen,
    add(v) {
      seen.push(v)
      for (const w of waiters) w()
    },
    wait(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (seen.length < n) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(seen.slice())
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`the handler got ${seen.length} of ${n} webhooks within ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}
