import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY, parseRetrySettings } from './retry-settings.js'

describe('parseRetrySettings', () => {
  it.each([
    ['{"maxRetries": 7, "schedule": [5, 60, 300, 1800, 7200, 18000, 36000]}', { enabled: true, maxRetries: 7, schedule: [5, 60, 300, 1800, 7200, 18000, 36000] }],
    // Fields left out keep the built-in default's.
    ['{"maxRetries": 5}', { enabled: true, maxRetries: 5, schedule: null }],
    ['{"schedule": [60]}', { enabled: true, maxRetries: 3, schedule: [60] }],
    ['{"enabled": false}', { enabled: false, maxRetries: 3, schedule: null }],
    ['{}', DEFAULT_RETRY],
    ['{"schedule": null, "maxRetries": 0}', { enabled: true, maxRetries: 0, schedule: null }],
  ])('%s', (text, retry) => {
    expect(parseRetrySettings(text)).toEqual({ ok: true, retry })
  })

  it.each([
    ['not JSON', 'maxRetries: 7', /JSON object/],
    ['an array', '[1, 2]', /JSON object/],
    ['null', 'null', /JSON object/],
    ['an unknown field', '{"maxRetry": 7}', /unknown field "maxRetry"/],
    ['enabled not a boolean', '{"enabled": "yes"}', /enabled/],
    ['too many retries without a schedule', '{"maxRetries": 6}', /0 to 5$/],
    ['more retries than the schedule allows', '{"maxRetries": 8, "schedule": [1, 2, 3, 4, 5, 6, 7]}', /0 to 7 \(the schedule's length\)/],
    ['negative retries', '{"maxRetries": -1}', /maxRetries/],
    ['fractional retries', '{"maxRetries": 1.5}', /maxRetries/],
    ['an empty schedule', '{"schedule": []}', /schedule/],
    ['a delay of 0', '{"schedule": [0]}', /schedule/],
    ['a delay over a day', '{"schedule": [86401]}', /schedule/],
    ['a delay as text', '{"schedule": ["5"]}', /schedule/],
    ['21 delays', `{"schedule": [${Array(21).fill(1).join(',')}]}`, /schedule/],
  ])('refuses %s', (_name, text, message) => {
    const parsed = parseRetrySettings(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.message).toMatch(message)
  })
})
