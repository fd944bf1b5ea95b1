/**
 * Query strings are text, so their numbers and booleans are converted here, as the route's
 * querystring schema types them. Request bodies are JSON and are validated exactly as sent: Ajv's
 * `coerceTypes` would turn a JSON `0` into `null` (`rateLimitPerSecond: 0` silently meaning "no
 * limit"), `[]` into `null` or `42` into `"42"`, where API.md asks for a 422.
 */

interface PropertySchema {
  type?: unknown
}

const INTEGER = /^-?\d{1,15}$/
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/

/**
 * A copy of `query` with the values of integer, number and boolean properties converted when they
 * are written as such (`"25"`, `"2.5"`, `"true"`); anything else is left for validation to refuse.
 */
export function coerceQuery(schema: { properties?: Record<string, PropertySchema> } | undefined, query: unknown): unknown {
  if (schema?.properties === undefined || query === null || typeof query !== 'object') return query
  let out: Record<string, unknown> | null = null
  for (const [name, prop] of Object.entries(schema.properties)) {
    const value = (query as Record<string, unknown>)[name]
    if (typeof value !== 'string') continue
    let converted: unknown = value
    if (prop.type === 'integer' && INTEGER.test(value)) converted = Number(value)
    else if (prop.type === 'number' && NUMBER.test(value)) converted = Number(value)
    else if (prop.type === 'boolean' && (value === 'true' || value === 'false')) converted = value === 'true'
    if (converted === value) continue
    out ??= { ...(query as Record<string, unknown>) }
    out[name] = converted
  }
  return out ?? query
}
