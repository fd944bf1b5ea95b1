/**
 * JSON Schema validation errors (Ajv's, with `allErrors`) as people should read them: one error per
 * path, and an enum's or a union's allowed values named once (API.md, "Limits on bad input").
 *
 * Ajv reports a union (`anyOf`, which TypeBox makes of every `Type.Union`, literals included) as
 * each branch's errors followed by "must match a schema in anyOf": `"method": "DELETE"` gave
 * "must be equal to constant" four times and then that. Here a union's errors become either the
 * errors of the one branch the value was meant for (its JSON type fits, and its discriminator,
 * such as an object's `type`, matches), or one error naming what is allowed:
 * `/method: must be one of POST, PUT, PATCH, GET`, `/rateLimitPerSecond: must be integer or null`,
 * `/auth/type: must be one of none, bearer, basic, header`. Pure: it reads only the errors.
 */
export interface SchemaError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

export interface ExplainedError {
  /** JSON Pointer into the validated value ('' is the value itself). */
  path: string
  message: string
}

export function explainSchemaErrors(errors: readonly SchemaError[]): ExplainedError[] {
  return onePerPath(explain(errors)).map(({ path, message }) => ({ path, message }))
}

/** An explained error, and what it says: allowed values or kinds (`names`), a bare JSON type (`type`). */
interface Note extends ExplainedError {
  says: 'names' | 'type' | 'other'
}

function explain(errors: readonly SchemaError[]): Note[] {
  return resolveUnions(errors).map((e) => ('says' in e ? e : plain(e)))
}

type Resolved = SchemaError | Note

const isUnion = (e: SchemaError): boolean => e.keyword === 'anyOf' || e.keyword === 'oneOf'

/** Replaces each outermost union's errors (its branches' and its own) with what they mean. */
function resolveUnions(errors: readonly SchemaError[]): Resolved[] {
  const unions = errors.filter(isUnion).sort((a, b) => a.schemaPath.length - b.schemaPath.length)
  let rest: Resolved[] = [...errors]
  const done = new Set<SchemaError>()
  for (const u of unions) {
    if (done.has(u)) continue // a union inside a branch of one already resolved
    const prefix = `${u.schemaPath}/`
    // A union inside an array's items fails once per item, under the same schemaPath.
    const within = (e: SchemaError) => e.schemaPath.startsWith(prefix) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`))
    const inside = errors.filter(within)
    for (const e of inside) done.add(e)
    const explained = resolveUnion(u, inside)
    let placed = false
    rest = rest.flatMap((e) => {
      if (e === u) {
        placed = true
        return explained
      }
      return 'says' in e || !within(e) ? [e] : []
    })
    if (!placed) rest.push(...explained)
  }
  return rest
}

/** What one branch's errors say about the value. */
type Branch =
  /** The value is not of the branch's kind (JSON type, constant or enum): it allows `allowed`. */
  | { kind: 'other-kind'; allowed: Allowed }
  /** An object whose discriminator (a constant property such as `type`) is not this branch's. */
  | { kind: 'other-variant'; path: string; allowed: Allowed }
  /** The value is of the branch's kind: its errors are about what is inside. */
  | { kind: 'meant'; errors: SchemaError[] }

interface Allowed {
  values: unknown[]
  types: string[]
}

function resolveUnion(u: SchemaError, inside: SchemaError[]): Note[] {
  const at = u.instancePath
  const byBranch = new Map<number, SchemaError[]>()
  for (const e of inside) {
    const index = Number(e.schemaPath.slice(u.schemaPath.length + 1).split('/', 1)[0])
    if (!Number.isInteger(index)) continue
    byBranch.set(index, [...(byBranch.get(index) ?? []), e])
  }
  // A branch reported no errors (it lives behind a $ref, whose errors carry the referenced schema's
  // paths): nothing better to say than Ajv's sentence, with the stray errors as they are.
  if (byBranch.size === 0) return [...inside.map(plain), plain(u)]
  const branches = [...byBranch].map(([index, errs]) => classify(at, `${u.schemaPath}/${index}`, errs))

  // The branch the value was meant for: of its kind and variant, with the fewest complaints.
  const meant = branches.filter((b): b is Extract<Branch, { kind: 'meant' }> => b.kind === 'meant')
  if (meant.length > 0) {
    const best = meant.reduce((a, b) => (b.errors.length < a.errors.length ? b : a))
    return explain(best.errors)
  }
  // An object of none of the variants: name the discriminator's values, at the discriminator.
  const variants = branches.filter((b): b is Extract<Branch, { kind: 'other-variant' }> => b.kind === 'other-variant')
  const first = variants[0]
  if (first !== undefined && variants.every((v) => v.path === first.path)) {
    return [{ path: first.path, message: mustBe(merge(variants.map((v) => v.allowed))), says: 'names' }]
  }
  return [{ path: at, message: mustBe(merge(branches.flatMap((b) => (b.kind === 'meant' ? [] : [b.allowed])))), says: 'names' }]
}

function classify(at: string, schemaPath: string, errors: SchemaError[]): Branch {
  const here = errors.filter((e) => e.instancePath === at)
  const values = here.flatMap(allowedValues)
  if (values.length > 0) return { kind: 'other-kind', allowed: { values, types: [] } }
  const types = here.filter((e) => e.keyword === 'type').flatMap((e) => typeNames(e.params.type))
  if (types.length > 0) return { kind: 'other-kind', allowed: { values: [], types } }
  // A property of the branch's own that is a constant (or enum) is a discriminator: `{"type": "bearer", ...}`.
  // (One that is a union of constants is a field like any other, explained with the branch.)
  const own = new RegExp(`^${escapeRegExp(schemaPath)}/properties/[^/]+/(const|enum)$`)
  const discriminator = errors.find((e) => own.test(e.schemaPath) && isDirectChild(at, e.instancePath))
  if (discriminator !== undefined) return { kind: 'other-variant', path: discriminator.instancePath, allowed: { values: allowedValues(discriminator), types: [] } }
  return { kind: 'meant', errors }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const isDirectChild = (parent: string, path: string): boolean => path.startsWith(`${parent}/`) && !path.slice(parent.length + 1).includes('/')

function allowedValues(e: SchemaError): unknown[] {
  if (e.keyword === 'const') return [e.params.allowedValue]
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) return e.params.allowedValues as unknown[]
  return []
}

const typeNames = (t: unknown): string[] => (Array.isArray(t) ? t.map(String) : typeof t === 'string' ? t.split(',') : [])

function merge(all: Allowed[]): Allowed {
  const values: unknown[] = []
  const types: string[] = []
  for (const a of all) {
    for (const v of a.values) if (!values.some((w) => JSON.stringify(w) === JSON.stringify(v))) values.push(v)
    for (const t of a.types) if (!types.includes(t)) types.push(t)
  }
  return { values, types }
}

/** `must be one of a, b`, `must be integer or null`, `must be one of a, b, or null`. */
function mustBe({ values, types }: Allowed): string {
  const shown = values.map(show)
  if (shown.length === 0) return `must be ${types.join(' or ')}`
  if (types.length === 0) return shown.length === 1 ? `must be ${shown[0]}` : `must be one of ${shown.join(', ')}`
  return `must be one of ${shown.join(', ')}, or ${types.join(' or ')}`
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/** One error, outside any union: Ajv's sentence, except that constants and enums name their values. */
function plain(e: SchemaError): Note {
  let path = e.instancePath
  if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') path += `/${pointerToken(e.params.missingProperty)}`
  // Ajv points an unknown field at its parent; the field itself is what the sender should look at.
  if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
    return { path: `${path}/${pointerToken(e.params.additionalProperty)}`, message: 'is not a known field', says: 'other' }
  }
  const values = allowedValues(e)
  if (values.length > 0) return { path, message: mustBe({ values, types: [] }), says: 'names' }
  return { path, message: e.message ?? 'is invalid', says: e.keyword === 'type' ? 'type' : 'other' }
}

/** A property name as a JSON Pointer segment (RFC 6901: `~` as `~0`, `/` as `~1`), as Ajv writes instancePath. */
const pointerToken = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * Repeats go, and where a path has its allowed values named, a bare type error beside it goes too
 * (a TypeBox literal is a string and a constant, so 5 for one fails both).
 */
function onePerPath(notes: Note[]): Note[] {
  const seen = new Set<string>()
  const named = new Set(notes.filter((n) => n.says === 'names').map((n) => n.path))
  return notes.filter((n) => {
    const key = `${n.path}\u0000${n.message}`
    if (seen.has(key) || (n.says === 'type' && named.has(n.path))) return false
    seen.add(key)
    return true
  })
}
