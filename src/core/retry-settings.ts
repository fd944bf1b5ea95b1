/**
 * An endpoint's `retry` settings as the operator writes them in HOOKRELAY_DEFAULT_RETRY: the same
 * JSON object, checked by the same rules, as an endpoint's `retry` in the API (API.md, "What each
 * delivery looks like"). Pure, so the setting is judged at start, before anything is opened.
 */
import type { RetrySettings } from './model.js'

/** API.md's `retry` default: 3 retries after 1, 2 and 4 s. HOOKRELAY_DEFAULT_RETRY replaces it. */
export const DEFAULT_RETRY: RetrySettings = { enabled: true, maxRetries: 3, schedule: null }

/** Retries without a schedule: the doubling delays stop at 16 s, the fifth. */
const MAX_DOUBLING_RETRIES = 5
const MAX_SCHEDULE_LENGTH = 20
const MAX_DELAY_SECONDS = 86_400

export type ParsedRetry = { ok: true; retry: RetrySettings } | { ok: false; message: string }

/**
 * `text` as a `retry` object over `base` (fields left out keep base's), or why it is not one.
 * Unknown fields are refused, as the API refuses them, so a typo ("maxRetry") is not silently lost.
 */
export function parseRetrySettings(text: string, base: RetrySettings = DEFAULT_RETRY): ParsedRetry {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, message: 'must be a JSON object such as {"maxRetries": 7, "schedule": [5, 60, 300, 1800, 7200, 18000, 36000]}' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'must be a JSON object' }
  const o = value as Record<string, unknown>
  const unknown = Object.keys(o).find((k) => k !== 'enabled' && k !== 'maxRetries' && k !== 'schedule')
  if (unknown !== undefined) return { ok: false, message: `has an unknown field "${unknown}" (enabled, maxRetries and schedule are allowed)` }
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') return { ok: false, message: 'enabled must be true or false' }
  let schedule = base.schedule
  if (o.schedule !== undefined) {
    const s = o.schedule
    if (s !== null) {
      const ok = Array.isArray(s) && s.length >= 1 && s.length <= MAX_SCHEDULE_LENGTH && s.every((d) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= MAX_DELAY_SECONDS)
      if (!ok) return { ok: false, message: `schedule must be null or 1-${MAX_SCHEDULE_LENGTH} delays in whole seconds, each 1-${MAX_DELAY_SECONDS}` }
    }
    schedule = s as number[] | null
  }
  const maxRetries = o.maxRetries ?? base.maxRetries
  const most = schedule ? Math.max(MAX_DOUBLING_RETRIES, schedule.length) : MAX_DOUBLING_RETRIES
  if (!Number.isInteger(maxRetries) || (maxRetries as number) < 0 || (maxRetries as number) > most) {
    return { ok: false, message: schedule ? `maxRetries must be a whole number from 0 to ${most} (the schedule's length)` : `maxRetries must be a whole number from 0 to ${most}` }
  }
  return { ok: true, retry: { enabled: o.enabled ?? base.enabled, maxRetries: maxRetries as number, schedule } }
}
