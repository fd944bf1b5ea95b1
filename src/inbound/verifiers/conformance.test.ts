import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { verifiers, type VerificationType, type VerifyInput } from './index.js'

/** One case of conformance/verifiers.json: language-neutral, so other implementations can run it too. */
interface Vector {
  name: string
  scheme: Exclude<VerificationType, 'none'>
  secret: string
  headers: Record<string, string>
  body: string
  nowSeconds: number
  toleranceSeconds: number
  hmac?: { header: string; encoding: 'hex' | 'base64'; prefix: string }
  valid: boolean
  why?: string
}

const doc = JSON.parse(readFileSync(new URL('../../../conformance/verifiers.json', import.meta.url), 'utf8')) as {
  description: string
  cases: Vector[]
}

function toInput(v: Vector): VerifyInput {
  return {
    rawBody: Buffer.from(v.body, 'utf8'),
    // Node lowercases header names; the vectors spell them as the providers document them.
    headers: Object.fromEntries(Object.entries(v.headers).map(([k, value]) => [k.toLowerCase(), value])),
    secrets: [v.secret],
    nowMs: v.nowSeconds * 1000,
    toleranceSeconds: v.toleranceSeconds,
    ...v.hmac,
  }
}

describe('conformance/verifiers.json', () => {
  it('has uniquely named cases, valid and invalid ones for every scheme', () => {
    expect(doc.description).toBeTruthy()
    expect(new Set(doc.cases.map((c) => c.name)).size).toBe(doc.cases.length)
    for (const scheme of Object.keys(verifiers).filter((s) => s !== 'none')) {
      const verdicts = new Set(doc.cases.filter((c) => c.scheme === scheme).map((c) => c.valid))
      expect([scheme, [...verdicts].sort()]).toEqual([scheme, [false, true]])
    }
  })

  it.each(doc.cases.map((c) => [c.name, c] as const))('%s', (_name, vector) => {
    const result = verifiers[vector.scheme](toInput(vector))
    expect(result.ok, result.ok ? 'accepted' : result.reason).toBe(vector.valid)
    if (!result.ok) expect(result.reason).not.toContain(vector.secret)
  })
})
