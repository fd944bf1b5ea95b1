import type { ApiError } from '../api/client'

/** A refused request, in words: the problem's detail and any field errors no field showed. */
export function ProblemNote({ error, shown = [] }: { error: ApiError | null; shown?: string[] }) {
  if (error === null) return null
  const rest = error.errors.filter((e) => !shown.includes(e.path))
  return (
    <div class="problem" role="alert">
      <strong>{error.status === 403 ? 'Not allowed' : error.status === 0 ? 'Could not reach the server' : 'Refused'}:</strong> {error.detail}
      {rest.length > 0 ? (
        <ul>
          {rest.map((e) => (
            <li key={e.path}>
              <code>{e.path}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}
