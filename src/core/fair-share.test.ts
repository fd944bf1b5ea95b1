import { describe, expect, it } from 'vitest'
import { fairShares } from './fair-share.js'

describe('fairShares', () => {
  it('gives everyone what they want when the limit allows', () => {
    expect(fairShares(16, [3, 5])).toEqual([3, 5])
  })

  it('splits evenly between claimants who all want more than their part', () => {
    expect(fairShares(16, [16, 16])).toEqual([8, 8])
    expect(fairShares(16, [100, 100, 100, 100])).toEqual([4, 4, 4, 4])
  })

  it('hands what a small claimant leaves to the others', () => {
    expect(fairShares(16, [2, 16, 16])).toEqual([2, 7, 7])
    expect(fairShares(10, [1, 3, 100])).toEqual([1, 3, 6])
  })

  it('gives an uneven remainder to the earliest claimants, never exceeding the limit', () => {
    expect(fairShares(16, [16, 16, 16])).toEqual([6, 5, 5])
    expect(fairShares(2, [5, 5, 5])).toEqual([1, 1, 0])
  })

  it('gives nothing to claimants who want nothing, and nothing from a zero limit', () => {
    expect(fairShares(16, [0, 4])).toEqual([0, 4])
    expect(fairShares(0, [4, 4])).toEqual([0, 0])
    expect(fairShares(5, [])).toEqual([])
  })

  it('always sums to at most the limit and never gives more than wanted', () => {
    for (let limit = 0; limit <= 20; limit++) {
      for (const wants of [[1, 2, 3], [20, 0, 7, 7], [5], [3, 3, 3, 3, 3, 3, 3]]) {
        const shares = fairShares(limit, wants)
        const total = shares.reduce((a, b) => a + b, 0)
        expect(total).toBeLessThanOrEqual(limit)
        expect(total).toBe(Math.min(limit, wants.reduce((a, b) => a + b, 0)))
        shares.forEach((s, i) => expect(s).toBeLessThanOrEqual(wants[i]!))
      }
    }
  })
})
