import { AppError } from '../errors.js'

/**
 * RFC 3339 (the ISO 8601 profile JSON APIs use): a full date, a time and a zone. Date.parse alone
 * takes much more, and takes it loosely: a date without a time or zone (read as local time), and
 * impossible days it rolls over (2020-02-30 became March 1st).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/** An RFC 3339 time from the request as epoch ms, or a 422 naming `path`. */
export function parseTime(value: string, path: string): number {
  const m = RFC3339.exec(value)
  const t = Date.parse(value)
  if (!m || Number.isNaN(t) || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) {
    const message = 'must be an RFC 3339 time with its zone, such as 2026-11-23T12:00:00Z'
    throw new AppError('validation_failed', `${path}: ${message}`, [{ path, message }])
  }
  return t
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}
