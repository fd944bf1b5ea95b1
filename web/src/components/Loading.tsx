import type { ApiError } from '../api/client'
import { ProblemNote } from './ProblemNote'

/** What a screen shows before its data arrives, or when it could not load. */
export function Loading({ error }: { error?: ApiError | null }) {
  if (error) return <ProblemNote error={error} />
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  )
}
