import { useEffect, useRef, useState } from 'preact/hooks'
import { followAttempts } from '../api/sse'
import type { AttemptNotice } from '../api/types'

/** Calls `onAttempt` for each attempt the tenant's stream reports while the screen is open; says whether it is live. */
export function useLiveAttempts(tenantApi: string, onAttempt: (a: AttemptNotice) => void, enabled = true): boolean {
  const [live, setLive] = useState(false)
  const handler = useRef(onAttempt)
  handler.current = onAttempt
  useEffect(() => {
    if (!enabled) return
    return followAttempts(tenantApi, (a) => handler.current(a), setLive)
  }, [tenantApi, enabled])
  return live
}
