import { useState } from 'preact/hooks'
import { ApiError } from '../api/client'

/** A button's request: busy while it runs, its problem (if any) kept to show beside the button. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true)
    setError(null)
    try {
      return await fn(...args)
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)))
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { run, busy, error, setError }
}
