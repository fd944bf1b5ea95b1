/**
 * Durations in settings such as HOOKRELAY_DISABLE_AFTER: whole seconds ("3600") or an ISO 8601
 * duration ("P5D", "PT1H30M", "P2W", "PT0.5S").
 *
 * Years and months are refused because their length depends on the calendar (ISO 8601-1:2019
 * §3.1.1.3 calls them "nominal"); a setting must mean the same number of milliseconds every day.
 * Days are taken as 24 hours and weeks as 7 days, which is what an operator means by "P5D".
 */

const MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1_000 } as const

// ISO 8601-1:2019 §5.5.2: PnW stands alone; otherwise PnDTnHnMnS with at least one component after
// P and after T. A decimal fraction (point or comma) is allowed on the last component only.
const WEEKS = /^P(\d+(?:[.,]\d+)?)W$/
const DAY_TIME = /^P(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/
const SECONDS = /^\d+$/

/** Milliseconds, or null when `value` is not whole seconds or a supported ISO 8601 duration. */
export function parseDuration(value: string): number | null {
  const s = value.trim()
  if (SECONDS.test(s)) return checked(Number(s) * 1000)

  const weeks = WEEKS.exec(s)
  if (weeks) return checked(amount(weeks[1]) * MS.W)

  const m = DAY_TIME.exec(s)
  if (!m || s === 'P' || s.endsWith('T')) return null
  const parts = [m[1], m[2], m[3], m[4]]
  const present = parts.map((p, i) => (p === undefined ? -1 : i)).filter((i) => i >= 0)
  // Only the smallest component given may carry a fraction ("P1.5DT2H" is not ISO 8601).
  const last = present[present.length - 1]
  if (last === undefined) return null
  if (present.some((i) => i !== last && /[.,]/.test(parts[i] ?? ''))) return null

  const units = [MS.D, MS.H, MS.M, MS.S]
  let total = 0
  parts.forEach((p, i) => {
    if (p !== undefined) total += amount(p) * (units[i] ?? 0)
  })
  return checked(total)
}

function amount(text: string | undefined): number {
  return Number((text ?? '').replace(',', '.'))
}

/** Whole milliseconds (fractions of a millisecond are rounded); null past the safe integer range. */
function checked(ms: number): number | null {
  const rounded = Math.round(ms)
  return Number.isSafeInteger(rounded) ? rounded : null
}
