import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { explainSchemaErrors, type SchemaError } from '../core/schema-errors.js'
import { AppError, errorCatalog, type ErrorCode, type FieldError } from '../errors.js'

/** The RFC 9457 problem document for a code. `type` is a stable URI per code (docs/errors.md). */
export function problem(code: ErrorCode, detail?: string, errors: FieldError[] = []) {
  const c = errorCatalog[code]
  return {
    type: `https://hookrelay.dev/errors/${code}`,
    title: c.title,
    status: c.status,
    detail: detail ?? c.detail,
    code,
    ...(errors.length > 0 ? { errors } : {}),
  }
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, errors: FieldError[] = []) {
  return reply
    .code(errorCatalog[code].status)
    .type('application/problem+json')
    .send(problem(code, detail, errors))
}

/** Turns Ajv's errors into `{path, message}` with JSON Pointers into the request part, one per path (core/schema-errors.ts). */
function fieldErrors(validation: SchemaError[], context: string | undefined): FieldError[] {
  const prefix = context === 'body' || context === undefined ? '' : `/${context === 'querystring' ? 'query' : context}`
  return explainSchemaErrors(validation).map((e) => ({ path: prefix + e.path || '/', message: e.message }))
}

/**
 * Every refusal becomes a problem document with a catalogued code; anything unexpected is logged
 * and answered as a generic problem without internals.
 */
export function errorHandler(err: FastifyError & { validation?: SchemaError[]; validationContext?: string }, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) return sendProblem(reply, err.code, err.message, err.errors)
  if (err.validation) {
    const errors = fieldErrors(err.validation, err.validationContext)
    return sendProblem(reply, 'validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, 'malformed_json', err.message)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, 'payload_too_large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, 'unsupported_media_type')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, 'bad_request', err.message)
  }
  // JSON.parse errors thrown by Fastify's parser come as SyntaxError with a 400 status.
  if (err instanceof SyntaxError || err.statusCode === 400) return sendProblem(reply, 'malformed_json', err.message)
  if (err.statusCode === 413) return sendProblem(reply, 'payload_too_large')
  if (err.statusCode === 415) return sendProblem(reply, 'unsupported_media_type')
  req.log.error({ err }, 'unhandled error')
  return sendProblem(reply, 'internal_error')
}
