/**
 * DESIGN.md "Data": signing secrets are sealed (AES-256-GCM) and API keys and the admin token kept
 * as hashes, so none of them is in the database in the clear: not the current signing secrets,
 * not the rotated-out ones that still sign, not a tenant's API key, not the admin token the server
 * generated on its first start. (Endpoint auth credentials and source secrets have their own
 * checks in api-endpoint-shaping and inbound-sources.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { storedBytes } from '../helpers/stored-bytes.js'

/** The forms a secret could be written in: as given, and its key part alone in base64 and in hex. */
function forms(secret: string): string[] {
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : null
  return key === null ? [secret] : [secret, key, Buffer.from(key, 'base64').toString('hex')]
}

describe('secrets at rest', () => {
  let srv: TestServer
  let token: string
  beforeAll(async () => {
    // No admin token configured: the server generates one.
    srv = await startTestServer({ adminToken: null })
    expect(srv.server.generatedAdminToken).toMatch(/^hr_admin_/)
    token = srv.server.generatedAdminToken!
  })
  afterAll(async () => {
    await srv?.close()
  })

  it('keeps no signing secret, API key or generated admin token in plain text in the database', async () => {
    const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { token })
    expect((await api('POST', '/v1/tenants', { id: 'at-rest', name: 'Tenant at rest' })).status).toBe(201)
    const key = await api('POST', '/v1/tenants/at-rest/api-keys', { name: 'ci key' })
    expect(key.status).toBe(201)
    const apiKey = key.body.key as string
    expect(apiKey).toMatch(/^hrk_/)

    const ep = await api('POST', '/v1/tenants/at-rest/endpoints', { url: 'http://127.0.0.1:1/hook', name: 'endpoint at rest' })
    expect(ep.status).toBe(201)
    const signing = [(await api('GET', `/v1/tenants/at-rest/endpoints/${ep.body.id}/secret`)).body.secret as string]
    // Rotated twice: the two rotated-out secrets still sign, so they are stored too (sealed).
    for (let i = 0; i < 2; i++) signing.push((await api('POST', `/v1/tenants/at-rest/endpoints/${ep.body.id}/secret/rotate`)).body.secret as string)
    for (const s of signing) expect(s).toMatch(/^whsec_/)

    const src = await api('POST', '/v1/tenants/at-rest/sources', { name: 'source at rest', verification: { type: 'standard-webhooks', secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}` } })
    expect(src.status).toBe(201)
    const sourceSecrets = [(await api('GET', `/v1/tenants/at-rest/sources/${src.body.id}/secret`)).body.secret as string]
    sourceSecrets.push((await api('POST', `/v1/tenants/at-rest/sources/${src.body.id}/secret/rotate`)).body.secret as string)
    for (const s of sourceSecrets) expect(s).toMatch(/^whsec_/)

    const bytes = await storedBytes(srv)
    // The search reads the real database: what was just written is there...
    for (const name of ['Tenant at rest', 'ci key', 'endpoint at rest', 'source at rest']) expect(bytes.includes(name), name).toBe(true)
    // ...and no secret is, in any of its forms.
    for (const secret of [...signing, ...sourceSecrets, apiKey, token]) {
      for (const form of forms(secret)) expect(bytes.includes(form), `${secret} as ${form}`).toBe(false)
    }
  })
})
