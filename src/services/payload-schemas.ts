import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import formatsModule from 'ajv-formats'
import { isBuiltInEventType } from '../core/built-in-event-types.js'
import { explainSchemaErrors } from '../core/schema-errors.js'
import type { JsonObject } from '../core/model.js'
import { AppError, type FieldError } from '../errors.js'
import type { Store } from '../store/store.js'
import { ExpiringCache } from './expiring-cache.js'
import { safeRegExp } from './safe-regexp.js'

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = formatsModule.default

/**
 * Event types' JSON Schemas (API.md: a payload that does not validate against its type's schema is
 * refused with 422). Compiled validators are cached per type; a change made in this process
 * invalidates at once, and entries expire after `ttlMs` (default 5 s) for changes made elsewhere.
 */
export class PayloadSchemas {
  // Tenants write these patterns, and they run on the shared event loop: see safe-regexp.ts.
  private readonly ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: safeRegExp } })
  /** Per type: its compiled validator, or null when the type has no schema. */
  private readonly validators: ExpiringCache<ValidateFunction | null>

  constructor(store: Store, now: () => number = Date.now, ttlMs = 5000) {
    addFormats(this.ajv)
    this.validators = new ExpiringCache((type) => store.getEventType(type).then((et) => (et?.schema ? this.ajv.compile(et.schema) : null)), { now, ttlMs })
  }

  /** Throws a 422 naming `/schema` when the schema itself cannot be compiled. */
  checkSchema(schema: JsonObject): void {
    let validate: ValidateFunction
    try {
      validate = this.ajv.compile(schema)
    } catch (err) {
      const message = `is not a valid JSON Schema: ${(err as Error).message}`
      throw new AppError('validation_failed', `/schema ${message}`, [{ path: '/schema', message }])
    }
    // An $async schema's validator answers with a promise: publishing checks payloads synchronously.
    if (isAsync(validate)) {
      const message = 'is asynchronous ($async), which is not supported'
      throw new AppError('validation_failed', `/schema ${message}`, [{ path: '/schema', message }])
    }
  }

  /**
   * Throws a 422 with the failing paths (under `/payload`) when the payload does not validate.
   * Synchronous (undefined, or a throw) when the type's validator is loaded and fresh, which is
   * nearly always on the publish path; a promise only while it loads.
   */
  checkPayload(type: string, payload: unknown): Promise<void> | undefined {
    // The server makes the payloads of its own types; a schema there documents them. Enforced, one
    // that did not fit would silently stop the server's own events (a gateway route's, say).
    if (isBuiltInEventType(type)) return undefined
    const known = this.validators.peek(type)
    if (known !== undefined) return check(type, known.v, payload)
    return this.validators.get(type).then((validate) => check(type, validate, payload))
  }

  invalidate(type: string): void {
    this.validators.delete(type)
  }
}

/** Throws the 422 when `validate` (the type's schema, null = none) refuses the payload. */
function check(type: string, validate: ValidateFunction | null, payload: unknown): undefined {
  if (validate === null) return undefined
  if (isAsync(validate)) {
    // Stored before such schemas were refused; its promise would reject with nobody to catch it.
    throw new AppError('validation_failed', `The schema of ${type} is asynchronous ($async), which is not supported: change the event type's schema.`, [{ path: '/type', message: 'has an unsupported asynchronous schema' }])
  }
  if (validate(payload)) return undefined
  const errors = toFieldErrors(validate.errors ?? [])
  throw new AppError('validation_failed', `The payload does not match the schema of ${type}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors)
}

/** Ajv marks the validator of a schema with `$async: true`; its result is a promise. */
const isAsync = (validate: ValidateFunction): boolean => (validate as { $async?: unknown }).$async === true

/** The failing paths under `/payload`, one per path, enums and unions named once (core/schema-errors.ts). */
const toFieldErrors = (errors: ErrorObject[]): FieldError[] => explainSchemaErrors(errors).map((e) => ({ path: `/payload${e.path}`, message: e.message }))
