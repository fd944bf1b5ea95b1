/**
 * Which events an endpoint receives: its `eventTypes` patterns and its `channels` (API.md,
 * "Endpoints"). Called once per event per endpoint when an event is published.
 */

const NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/
const PATTERN = /^(\*|[a-z0-9_-]+)(\.(\*|[a-z0-9_-]+))*$/
const MAX_LENGTH = 128

/** An event type name as API.md allows it: dot-separated `[a-z0-9_-]+` segments, at most 128 characters. */
export function isValidEventTypeName(name: string): boolean {
  return name.length <= MAX_LENGTH && NAME.test(name)
}

/** An endpoint's event type pattern: like a name, but any segment may be `*`. */
export function isValidEventTypePattern(p: string): boolean {
  return p.length <= MAX_LENGTH && PATTERN.test(p)
}

/**
 * True when `type` matches one of `patterns`; an empty list matches every type.
 *
 * Patterns match whole dot segments. `*` stands for exactly one segment, except as the last
 * segment, where it stands for one or more: `invoice.*` matches `invoice.paid` and
 * `invoice.paid.late` but not `invoice`; the lone pattern `*` matches every type. Anything else
 * in a pattern is literal (`invoice*` matches only the type `invoice*`).
 */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  if (patterns.length === 0) return true
  const segments = type.split('.')
  return patterns.some((pattern) => matchesPattern(pattern, segments))
}

function matchesPattern(pattern: string, segments: readonly string[]): boolean {
  if (pattern === '*') return true
  const parts = pattern.split('.')
  const last = parts.length - 1
  for (let i = 0; i <= last; i++) {
    const part = parts[i]
    if (i >= segments.length) return false
    if (part === '*') {
      if (i === last) return true // trailing `*`: one or more remaining segments (at least segments[i])
      continue
    }
    if (part !== segments[i]) return false
  }
  return parts.length === segments.length
}

/** True when the endpoint takes events on these channels: an endpoint without channels takes all. */
export function matchesChannels(endpointChannels: readonly string[], eventChannels: readonly string[]): boolean {
  if (endpointChannels.length === 0) return true
  return eventChannels.some((channel) => endpointChannels.includes(channel))
}
