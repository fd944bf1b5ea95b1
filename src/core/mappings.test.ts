import { describe, expect, it } from 'vitest'
import { mappingMatches, planAction, type Mapping } from './mappings.js'

const m = (over: Partial<Mapping> = {}): Mapping => ({ eventType: '*', action: 'publish', publishAs: null, fields: null, required: [], ...over })
const src = {
  body: { type: 'task.assigned', task: { id: 't1', Title: 'Fix it', tags: ['a', 'b'], owner: { id: 'u1' }, due: null } },
  headers: { 'x-github-event': 'push' },
}

describe('mappingMatches', () => {
  it('matches the type, * and patterns', () => {
    expect(mappingMatches(m(), 'anything')).toBe(true)
    expect(mappingMatches(m(), null)).toBe(true)
    expect(mappingMatches(m({ eventType: 'task.assigned' }), 'task.assigned')).toBe(true)
    expect(mappingMatches(m({ eventType: 'task.assigned' }), 'task.created')).toBe(false)
    expect(mappingMatches(m({ eventType: 'task.*' }), 'task.created')).toBe(true)
    expect(mappingMatches(m({ eventType: 'Order Completed' }), 'Order Completed')).toBe(true)
    expect(mappingMatches(m({ eventType: 'task.assigned' }), null)).toBe(false)
  })
})

describe('planAction', () => {
  it('publishes the whole body as the received type by default', () => {
    expect(planAction(m(), src, 'task.assigned')).toEqual({ status: 'publish', type: 'task.assigned', payload: src.body })
  })

  it('maps fields by dot path, case-sensitively, carrying arrays and objects as they are', () => {
    const plan = planAction(
      m({ publishAs: 'work.assigned', fields: { id: 'task.id', title: 'task.Title', lower: 'task.title', tags: 'task.tags', owner: 'task.owner', kind: '$headers.X-GitHub-Event' } }),
      src,
      'task.assigned',
    )
    expect(plan).toEqual({ status: 'publish', type: 'work.assigned', payload: { id: 't1', title: 'Fix it', tags: ['a', 'b'], owner: { id: 'u1' }, kind: 'push' } })
  })

  it('skips when a required field is absent or null, naming it', () => {
    expect(planAction(m({ fields: { title: 'task.title' }, required: ['title'] }), src, 'task.assigned')).toEqual({
      status: 'skipped',
      error: 'required field title (task.title) is missing',
    })
    expect(planAction(m({ fields: { due: 'task.due' }, required: ['due'] }), src, 'task.assigned')).toMatchObject({ status: 'skipped' })
    expect(planAction(m({ required: ['task'] }), src, 'task.assigned')).toMatchObject({ status: 'publish' })
  })

  it('fails when there is no publishable type or no object to publish', () => {
    expect(planAction(m(), src, null)).toMatchObject({ status: 'failed', error: expect.stringContaining('publishAs') })
    expect(planAction(m(), src, 'Order Completed')).toMatchObject({ status: 'failed', error: expect.stringContaining('not a valid event type name') })
    expect(planAction(m(), { body: [1, 2], headers: {} }, 'a.b')).toMatchObject({ status: 'failed', error: expect.stringContaining('not a JSON object') })
    expect(planAction(m({ publishAs: 'order.completed' }), src, 'Order Completed')).toMatchObject({ status: 'publish', type: 'order.completed' })
  })
})
