const units: [number, Intl.RelativeTimeFormatUnit][] = [
  [60, 'second'],
  [60, 'minute'],
  [24, 'hour'],
  [30, 'day'],
  [12, 'month'],
  [Infinity, 'year'],
]
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

export function relative(iso: string, now = Date.now()): string {
  let v = (new Date(iso).getTime() - now) / 1000
  for (const [size, unit] of units) {
    if (Math.abs(v) < size) return rtf.format(Math.round(v), unit)
    v /= size
  }
  return iso
}

/** A time as "3 minutes ago", the exact UTC time on hover and for machines. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">never</span>
  return (
    <time dateTime={iso} title={iso}>
      {relative(iso)}
    </time>
  )
}
