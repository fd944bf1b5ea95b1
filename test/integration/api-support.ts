/**
 * Shared assertions for the API contract tests (test/integration/api-*.test.ts): the RFC 9457
 * problem shape of API.md, the shapes of the records it names, and a guard that fails a test when
 * any request it made was answered with a 5xx ("bad input is 400 or 422, never 500").
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import type { Config } from '../../src/config.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

export interface ApiResponse {
  status: number
  body: any
  headers: Headers
}

/** How long a test waits for a delivery to arrive or settle: generous, for a loaded 2-core machine. */
export const DELIVERY_WAIT_MS = 15_000

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

/**
 * One server for a describe block, with every test failing if any request it made got a 5xx.
 * `ctx.srv` is there once beforeAll has run.
 */
export function useApiServer(overrides: Partial<Config> = {}): { readonly srv: TestServer } {
  let srv: TestServer | undefined
  let check5xx = (): void => {}
  beforeAll(async () => {
    srv = await startTestServer(overrides)
    check5xx = guardAgainst5xx(srv)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await srv?.close()
  })
  return {
    get srv() {
      if (!srv) throw new Error('the server starts in beforeAll')
      return srv
    },
  }
}

/**
 * Wraps `srv.api` so every 5xx answer is remembered. Call the returned function in `afterEach`:
 * it fails the test that made such a request, naming the request and the answer.
 */
export function guardAgainst5xx(srv: TestServer): () => void {
  const seen: string[] = []
  const inner = srv.api.bind(srv)
  srv.api = async (method, path, body, opts) => {
    const res = await inner(method, path, body, opts)
    if (res.status >= 500) seen.push(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`)
    return res
  }
  return () => {
    const found = seen.splice(0)
    expect(found, 'requests answered with a 5xx').toEqual([])
  }
}

/** A problem document as API.md defines it, with this status and code; returns its `errors`. */
export function expectProblem(res: ApiResponse, status: number, code: string): Array<{ path: string; message: string }> {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { code } })
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect(res.body).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    ...('errors' in res.body ? { errors: expect.any(Array) } : {}),
  })
  const errors = (res.body.errors ?? []) as Array<{ path: string; message: string }>
  for (const e of errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) })
  return errors
}

/** A 422 `validation_failed` (or another 422 code) whose `errors` name `path`. */
export function expectInvalid(res: ApiResponse, path: string, code = 'validation_failed'): void {
  const errors = expectProblem(res, 422, code)
  expect(errors.map((e) => e.path)).toContain(path)
}

/** `{data: [...], nextCursor}`: returns data. */
export function expectList<T = any>(res: ApiResponse): T[] {
  expect(res.status).toBe(200)
  expect(Object.keys(res.body).sort()).toEqual(['data', 'nextCursor'])
  expect(Array.isArray(res.body.data)).toBe(true)
  expect(res.body.nextCursor === null || typeof res.body.nextCursor === 'string').toBe(true)
  return res.body.data as T[]
}

/** Follows `nextCursor` from `path` (which may carry a query) until it is null; every page is checked. */
export async function walkPages<T = any>(srv: TestServer, path: string, limit: number, opts?: { token?: string }): Promise<{ items: T[]; pages: number }> {
  const items: T[] = []
  let cursor: string | null = null
  let pages = 0
  const sep = path.includes('?') ? '&' : '?'
  do {
    const q: string = `${sep}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const res = await srv.api('GET', path + q, undefined, opts)
    const data = expectList<T>(res)
    expect(data.length).toBeLessThanOrEqual(limit)
    items.push(...data)
    cursor = res.body.nextCursor as string | null
    pages++
    if (pages > 1000) throw new Error(`pagination of ${path} does not end`)
  } while (cursor !== null)
  return { items, pages }
}

/** The attempt shape of API.md (additions allowed). */
export function expectAttemptShape(a: any, trigger: 'scheduled' | 'manual' | 'test'): void {
  expect(a).toMatchObject({
    id: expect.stringMatching(/^att_/),
    attemptNumber: expect.any(Number),
    trigger,
    startedAt: expect.stringMatching(ISO),
    durationMs: expect.any(Number),
    request: {
      method: expect.any(String),
      url: expect.any(String),
      headers: expect.any(Object),
      body: expect.anything(),
    },
    success: expect.any(Boolean),
  })
  expect(Number.isInteger(a.attemptNumber) && a.attemptNumber >= 1).toBe(true)
  expect(a.durationMs).toBeGreaterThanOrEqual(0)
  expect(a).toHaveProperty('response')
  expect(a).toHaveProperty('error')
  if (a.response !== null) expect(a.response).toEqual({ status: expect.any(Number), headers: expect.any(Object), body: expect.any(String) })
  if (a.error !== null) {
    expect(a.error).toEqual({ kind: expect.any(String), message: expect.any(String) })
    expect(['timeout', 'network', 'tls', 'blocked', 'http', 'template']).toContain(a.error.kind)
  }
}

/** The delivery shape of API.md (additions allowed). */
export function expectDeliveryShape(d: any): void {
  expect(d).toMatchObject({
    id: expect.stringMatching(/^dlv_/),
    eventId: expect.stringMatching(/^evt_/),
    endpointId: expect.stringMatching(/^ep_/),
    attemptCount: expect.any(Number),
  })
  expect(['pending', 'succeeded', 'failed']).toContain(d.status)
  expect(d.nextAttemptAt === null || ISO.test(d.nextAttemptAt)).toBe(true)
  // Always present; a delivery in flight has no next attempt time yet.
  expect(typeof d.inFlight).toBe('boolean')
  if (d.inFlight) expect({ status: d.status, nextAttemptAt: d.nextAttemptAt }).toEqual({ status: 'pending', nextAttemptAt: null })
}

/** The published event shape of API.md (additions allowed). */
export function expectEventShape(e: any): void {
  expect(e).toMatchObject({
    id: expect.stringMatching(/^evt_/),
    type: expect.any(String),
    payload: expect.any(Object),
    channels: expect.any(Array),
    createdAt: expect.stringMatching(ISO),
    deliveryCount: expect.any(Number),
  })
}
