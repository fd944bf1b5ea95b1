import { expect, it } from 'vitest'
import { BATCH_BUDGET_MS, MAX_BATCH, MIN_BATCH, nextBatchSize } from './retention-batch.js'

it('keeps a batch that took the budget', () => {
  expect(nextBatchSize(300, BATCH_BUDGET_MS)).toBe(300)
})

it('scales toward the budget, at most halving or doubling at a time', () => {
  expect(nextBatchSize(400, BATCH_BUDGET_MS * 1.6)).toBe(250)
  expect(nextBatchSize(400, BATCH_BUDGET_MS * 100)).toBe(200)
  expect(nextBatchSize(100, BATCH_BUDGET_MS / 1.25)).toBe(125)
  expect(nextBatchSize(100, BATCH_BUDGET_MS / 100)).toBe(200)
  expect(nextBatchSize(100, 0)).toBe(200)
})

it('stays within MIN_BATCH..MAX_BATCH', () => {
  expect(nextBatchSize(MIN_BATCH, BATCH_BUDGET_MS * 10)).toBe(MIN_BATCH)
  expect(nextBatchSize(MAX_BATCH, 0)).toBe(MAX_BATCH)
})
