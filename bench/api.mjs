// The few admin API calls the scenarios need, over undici, with the admin token.
import { makePool } from './load.mjs'
import { ADMIN_TOKEN } from './server.mjs'

export class HttpError extends Error {}

export function adminApi(url, connections = 64) {
  const pool = makePool(url, connections)
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
  async function call(method, path, body, expect) {
    const res = await pool.request({
      method, path, body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? { authorization: headers.authorization } : headers,
    })
    const text = await res.body.text()
    if (!expect.includes(res.statusCode)) throw new HttpError(`${method} ${path} -> HTTP ${res.statusCode} (expected ${expect.join('/')}): ${text.slice(0, 500)}`)
    return text ? JSON.parse(text) : null
  }
  return {
    pool,
    authHeaders: headers,
    call,
    createTenant: (id) => call('POST', '/v1/tenants', { id, name: id }, [201]),
    createEndpoint: (tenant, url, eventTypes, extra = {}) => call('POST', `/v1/tenants/${tenant}/endpoints`, { url, eventTypes, ...extra }, [201]),
    close: () => pool.close(),
  }
}
