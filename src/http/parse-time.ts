import { AppError } from '../errors.js'

/**
 * An ISO 8601 date, or date and time, in the extended form JSON APIs use (RFC 3339's, the zone
 * optional). Date.parse alone takes much more, and loosely: other formats, and impossible days it
 * rolls over (2020-02-30 became March 1st).
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?)?$/

/**
 * An ISO 8601 time from the request as epoch ms, or a 422 naming `path`. Without a zone it is UTC
 * (Date.parse would read a time without one as the server's local time).
 */
export function parseTime(value: string, path: string): number {
  const m = ISO_TIME.exec(value)
  const zoned = m === null || m[4] === undefined || m[8] !== undefined ? value : `${value}Z`
  const t = Date.parse(zoned)
  if (!m || Number.isNaN(t) || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) || Number(m[4] ?? 0) > 23 || Number(m[5] ?? 0) > 59 || Number(m[6] ?? 0) > 59) {
    const message = 'must be an ISO 8601 time, such as 2026-11-23T12:00:00Z'
    throw new AppError('validation_failed', `${path}: ${message}`, [{ path, message }])
  }
  return t
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}
