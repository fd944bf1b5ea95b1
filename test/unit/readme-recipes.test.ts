/**
 * The README's Recipes are endpoint bodies users paste as they are: each must use only endpoint
 * fields, compile, and render a valid request for a sample event.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildOutboundRequest } from '../../src/core/shaping/outbound-request.js'
import { DEFAULT_PAYLOAD } from '../../src/core/shaping/payload-body.js'
import { compileShape, type OpenEndpoint } from '../../src/core/shaping/request-shape.js'
import { EndpointFields } from '../../src/http/schemas.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const section = readme.slice(readme.indexOf('## Recipes'), readme.indexOf('\n## ', readme.indexOf('## Recipes') + 1))
const recipes = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as Record<string, any>)

const event = {
  id: 'evt_1',
  type: 'payment.failed',
  occurredAt: Date.UTC(2026, 10, 22, 12, 0, 0),
  payloadJson: JSON.stringify({ id: 'pay_1', amount: 1250, currency: 'EUR', reason: 'card "declined"', customer: { name: 'Ada', email: 'ada@example.com' } }),
}
const tenant = { id: 'acme', name: 'Acme', metadata: { hookUrl: 'http://127.0.0.1:9/hook', hookToken: 'tok_1' } }

describe('README recipes', () => {
  it('there are the five of them', () => {
    expect(recipes.map((r) => r.name)).toEqual(['Slack: failed payments', 'Zapier', 'Datadog events', 'PagerDuty', 'Customer webhook'])
  })

  it.each(recipes.map((r) => [r.name, r] as const))('%s renders a valid request', (_name, recipe) => {
    for (const key of Object.keys(recipe)) expect(Object.keys(EndpointFields), key).toContain(key)
    const auth = recipe.auth ?? { type: 'none' }
    const ep = {
      id: 'ep_1',
      name: recipe.name,
      metadata: recipe.metadata ?? {},
      url: recipe.url,
      method: recipe.method ?? 'POST',
      headers: recipe.headers ?? {},
      queryParams: recipe.queryParams ?? {},
      payload: { ...DEFAULT_PAYLOAD, ...recipe.payload },
    } as OpenEndpoint
    const { shape, errors } = compileShape(ep, tenant, auth)
    expect(errors).toEqual([])
    const built = buildOutboundRequest({ shape, event, secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], nowMs: Date.now() })
    if (!built.ok) throw new Error(built.message)
    const body = JSON.parse(built.request.body) as Record<string, any>
    if (recipe.name.startsWith('Slack')) expect(body.text).toBe('Payment pay_1 failed: card "declined"')
    if (recipe.name === 'Zapier') expect(body).toEqual({ event: 'payment.failed', payment_id: 'pay_1', amount: 1250, customer_email: 'ada@example.com', source: 'hookrelay' })
    if (recipe.name === 'Datadog events') {
      expect(body).toMatchObject({ title: 'Payment failed: pay_1', alert_type: 'error', tags: ['tenant:acme', 'currency:EUR'] })
      expect(built.request.headers['dd-api-key']).toBe('<your Datadog API key>')
    }
    if (recipe.name === 'PagerDuty') {
      expect(body).toMatchObject({ routing_key: '<your integration key>', event_action: 'trigger', dedup_key: 'evt_1', payload: { severity: 'error', source: 'Acme' } })
      expect(body.payload.custom_details.customer.email).toBe('ada@example.com')
    }
    if (recipe.name === 'Customer webhook') {
      expect(built.request.url).toBe('http://127.0.0.1:9/hook?source=hookrelay')
      expect(built.request.headers['x-customer-token']).toBe('tok_1')
    }
  })
})

describe('README shell examples', () => {
  it('use one token variable throughout, $TOKEN', () => {
    const vars = new Set([...readme.matchAll(/Bearer \$([A-Za-z_]+)/g)].map((m) => m[1]))
    expect([...vars]).toEqual(['TOKEN'])
    expect(readme).toContain('export TOKEN=')
  })

  it('say the default retry schedule and how to lengthen it', () => {
    expect(readme).toMatch(/3 retries after 1, 2 and 4 s/)
    expect(readme).toContain('retry.schedule')
    expect(readme).toContain('HOOKRELAY_DEFAULT_RETRY')
  })
})
