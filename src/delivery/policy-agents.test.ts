import { describe, expect, it } from 'vitest'
import type { AddressPolicy } from '../core/address-class.js'
import { createPolicyAgents, type ClosableAgent } from './policy-agents.js'

/** Stand-ins for agents: what matters here is which policy each was made with and whether it was closed. */
function fakes() {
  const made: Array<{ policy: AddressPolicy; closed: boolean; destroyed: boolean }> = []
  const make = (policy: AddressPolicy): ClosableAgent => {
    const rec = { policy, closed: false, destroyed: false }
    made.push(rec)
    return {
      close: async () => void (rec.closed = true),
      destroy: async () => void (rec.destroyed = true),
    }
  }
  return { made, make }
}

describe('createPolicyAgents', () => {
  it('one agent per distinct list, whose guard allows exactly that list', () => {
    const { made, make } = fakes()
    const agents = createPolicyAgents(make)
    const a = agents.get(['127.0.0.1/32'])
    expect(agents.get(['127.0.0.1/32', '127.0.0.1/32'])).toBe(a)
    const none = agents.get([])
    expect(none).not.toBe(a)
    expect(made).toHaveLength(2)
    expect(made[0]!.policy.check('127.0.0.1').allowed).toBe(true)
    expect(made[0]!.policy.check('127.0.0.2').allowed).toBe(false)
    expect(made[1]!.policy.check('127.0.0.1').allowed).toBe(false)
  })

  it('past the limit closes the least recently used agent, and makes it again when needed', async () => {
    const { made, make } = fakes()
    const agents = createPolicyAgents(make, 2)
    agents.get(['10.0.0.0/8'])
    agents.get(['10.1.0.0/16'])
    agents.get(['10.0.0.0/8']) // used again: now the newest
    agents.get(['10.2.0.0/16'])
    expect(agents.size).toBe(2)
    expect(made.map((m) => m.closed)).toEqual([false, true, false])
    agents.get(['10.1.0.0/16'])
    expect(made).toHaveLength(4)
    await agents.destroy()
    expect(agents.size).toBe(0)
    expect(made.filter((m) => !m.closed).every((m) => m.destroyed)).toBe(true)
  })
})
