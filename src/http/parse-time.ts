import { AppError } from '../errors.js'

/** An ISO 8601 time from the request as epoch ms, or a 422 naming `path`. */
export function parseTime(value: string, path: string): number {
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw new AppError('validation_failed', `${path}: must be an ISO 8601 time`, [{ path, message: 'must be an ISO 8601 time' }])
  return t
}
