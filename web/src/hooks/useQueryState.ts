import { useLocation } from 'preact-iso'

/** State kept in the URL's query (filters, the open tab), so a link or a reload shows the same view. */
export function useQueryState(): [Record<string, string>, (next: Record<string, string | null | undefined>) => void] {
  const { path, query, route } = useLocation()
  const set = (next: Record<string, string | null | undefined>) => {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries({ ...query, ...next })) if (v !== undefined && v !== null && v !== '') q.set(k, v)
    const s = q.toString()
    route(s === '' ? path : `${path}?${s}`, true)
  }
  return [query, set]
}
