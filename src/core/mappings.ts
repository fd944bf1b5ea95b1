import { isValidEventTypeName, isValidEventTypePattern, matchesEventType } from './event-filter.js'
import { readPath, type PathSource } from './field-paths.js'
import type { JsonObject } from './model.js'

/** What a source does with a received event of a matching type (API.md, Inbound sources). */
export interface Mapping {
  /** The received type, `*` for every event, or a pattern with `*` segments (`invoice.*`). */
  eventType: string
  action: 'publish'
  /** The outbound event type. Default: the received type. */
  publishAs: string | null
  /** Target name -> dot path; the outbound payload is these fields. Default null: the whole body. */
  fields: Record<string, string> | null
  /** Targets that must have a value, or the action is skipped. Default []. */
  required: string[]
}

export type PlannedAction =
  | { status: 'publish'; type: string; payload: JsonObject }
  | { status: 'skipped'; error: string }
  | { status: 'failed'; error: string }

/** Whether a mapping applies to a received event type (null when the event had none: only `*` applies). */
export function mappingMatches(m: Mapping, eventType: string | null): boolean {
  if (m.eventType === '*') return true
  if (eventType === null) return false
  if (m.eventType === eventType) return true
  return m.eventType.includes('*') && isValidEventTypePattern(m.eventType) && matchesEventType([m.eventType], eventType)
}

/**
 * The outbound event one mapping makes from a received one. A required field without a value
 * (absent or null) skips the action and says which; a type that cannot be published fails it.
 * Pure: the caller publishes and records the outcome.
 */
export function planAction(m: Mapping, src: PathSource, eventType: string | null): PlannedAction {
  const type = m.publishAs ?? eventType
  if (type === null) return { status: 'failed', error: 'the event has no type to publish as; set publishAs' }
  if (!isValidEventTypeName(type)) {
    return { status: 'failed', error: `"${type.slice(0, 128)}" is not a valid event type name (dot-separated a-z, 0-9, _ and -); set publishAs` }
  }
  let payload: JsonObject
  if (m.fields === null) {
    if (typeof src.body !== 'object' || src.body === null || Array.isArray(src.body)) {
      return { status: 'failed', error: 'the body is not a JSON object; map its parts with fields' }
    }
    payload = src.body as JsonObject
  } else {
    payload = {}
    for (const [target, path] of Object.entries(m.fields)) {
      const v = readPath(src, path)
      // Defined, not assigned: assigning to a target named __proto__ would set the prototype and
      // the field would vanish from the payload.
      if (v !== undefined) Object.defineProperty(payload, target, { value: v, enumerable: true, writable: true, configurable: true })
    }
  }
  for (const target of m.required) {
    // Own properties only: `constructor` or `toString` is not "present" because Object.prototype has it.
    const v = Object.hasOwn(payload, target) ? payload[target] : undefined
    if (v === undefined || v === null) {
      const from = m.fields !== null && Object.hasOwn(m.fields, target) ? m.fields[target] : undefined
      return { status: 'skipped', error: `required field ${target}${from !== undefined ? ` (${from})` : ''} is missing` }
    }
  }
  return { status: 'publish', type, payload }
}
