import type { EventType } from '../../api/types'

/**
 * The parameters a template can use for an event type: the event's own fields, then the payload's
 * fields as `event.data.<path>`, from the type's JSON schema (properties, nested), else from its
 * example, then the tenant's and endpoint's. Pure.
 */
export function templateParameters(type: EventType | undefined): string[] {
  const out = ['event.id', 'event.type', 'event.timestamp', 'event.data']
  const data: string[] = []
  const fromSchema = (schema: unknown, prefix: string, depth: number) => {
    const props = (schema as { properties?: Record<string, unknown> } | null)?.properties
    if (!props || depth > 4) return
    for (const [k, v] of Object.entries(props)) {
      data.push(`${prefix}.${k}`)
      fromSchema(v, `${prefix}.${k}`, depth + 1)
    }
  }
  const fromExample = (value: unknown, prefix: string, depth: number) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 4) return
    for (const [k, v] of Object.entries(value)) {
      data.push(`${prefix}.${k}`)
      fromExample(v, `${prefix}.${k}`, depth + 1)
    }
  }
  if (type?.schema) fromSchema(type.schema, 'event.data', 0)
  if (data.length === 0 && type?.example) fromExample(type.example, 'event.data', 0)
  return [...out, ...data.filter((p) => /^[\w.]+$/.test(p)), 'tenant.id', 'tenant.name', 'tenant.metadata', 'endpoint.id', 'endpoint.name', 'endpoint.metadata']
}

/** What clicking a parameter inserts: JSON-safe in a JSON body, plain in text. */
export function insertion(param: string, format: 'json' | 'text'): string {
  return format === 'json' ? `{{ ${param} | json }}` : `{{ ${param} }}`
}
