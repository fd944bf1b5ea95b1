/**
 * Helpers for the inbound tests that start their own server: a tenant per test, sources made
 * through the API, raw POSTs to the ingest path as a provider sends them, and the request log.
 */
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { eventually, type TestServer } from '../helpers/server.js'
import { expectList, type ApiResponse } from './api-support.js'

export function inboundClient(server: () => TestServer) {
  const srv = () => server()

  /** A fresh tenant, so its events list holds only what its test published; answers its API path (`/v1/tenants/{id}`). */
  const tenant = async (): Promise<string> => {
    const id = `in-${randomUUID().slice(0, 8)}`
    expect((await srv().api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
    return `/v1/tenants/${id}`
  }

  /** A source with `body` (verification none unless given); fails the test unless it is created. */
  const createSource = async (t: string, body: Record<string, unknown>): Promise<any> => {
    const res = await srv().api('POST', `${t}/sources`, { name: 'src', verification: { type: 'none' }, ...body })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  /** A raw POST to the ingest path, like a provider's: no bearer token; JSON unless `headers` say otherwise. */
  const post = async (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await fetch(`${srv().url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }

  /** One page of the source's log, newest first; `query` as in `?limit=2`. */
  const logs = async (t: string, id: string, query = ''): Promise<any[]> => expectList(await srv().api('GET', `${t}/sources/${id}/logs${query}`))

  /** The source's log once it has `count` entries, newest first. */
  const logsOnce = (t: string, id: string, count: number): Promise<any[]> =>
    eventually(async () => {
      const rows = await logs(t, id)
      return rows.length >= count ? rows : undefined
    })

  /** The tenant's events, newest first; only those of `type` if given. */
  const events = async (t: string, type?: string): Promise<any[]> => expectList(await srv().api('GET', `${t}/events${type ? `?type=${type}` : ''}`))

  return { tenant, createSource, post, logs, logsOnce, events }
}
