import { authHeaders, unauthorized } from './client'
import type { AttemptNotice } from './types'

/**
 * Follows GET .../deliveries/stream (text/event-stream) through fetch, not EventSource: EventSource
 * cannot send an Authorization header, and a token in the query string would land in access logs.
 * Reconnects after a drop (1 s, doubling to 30 s); a 401 ends the session. Returns a stop function.
 */
export function followAttempts(tenantApi: string, onAttempt: (a: AttemptNotice) => void, onLive: (live: boolean) => void): () => void {
  let stopped = false
  let controller: AbortController | null = null
  let delay = 1000
  const run = async () => {
    while (!stopped) {
      controller = new AbortController()
      try {
        const res = await fetch(`${tenantApi}/deliveries/stream`, { headers: { ...authHeaders(), accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' })
        if (res.status === 401) {
          unauthorized()
          return
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`)
        onLive(true)
        delay = 1000
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end: number
          while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
            let event = 'message'
            const data: string[] = []
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(':')) continue
              if (line.startsWith('event:')) event = line.slice(6).trim()
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
            }
            if (event === 'attempt' && data.length > 0) {
              try {
                onAttempt(JSON.parse(data.join('\n')) as AttemptNotice)
              } catch {
                // a malformed message is skipped, the stream goes on
              }
            }
          }
        }
      } catch {
        // dropped or refused: reconnect below
      }
      if (stopped) return
      onLive(false)
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, 30_000)
    }
  }
  void run()
  return () => {
    stopped = true
    controller?.abort()
  }
}
