/**
 * A server-sent events client for tests, on fetch (as the web app reads the stream): collects
 * every event and comment, and waits for events that match.
 */
export interface SseEvent {
  event: string
  data: string
}

export interface SseStream {
  status: number
  headers: Headers
  events: SseEvent[]
  comments: string[]
  /** Resolves with the first `n` events of type `event` that `match`; rejects after `timeoutMs`. */
  waitFor(event: string, match: (data: any) => boolean, n?: number, timeoutMs?: number): Promise<any[]>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

export async function openSse(url: string, token: string): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal })
  const events: SseEvent[] = []
  const comments: string[] = []
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const w of waiters) w()
  }
  const ended = (async () => {
    if (!res.body) return
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('event:')) event = line.slice(6).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
          }
          if (data.length > 0) events.push({ event, data: data.join('\n') })
          notify()
        }
      }
    } catch {
      // aborted by close()
    }
    notify()
  })()
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    ended,
    close: () => controller.abort(),
    waitFor(event, match, n = 1, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.filter((e) => e.event === event).map((e) => JSON.parse(e.data)).filter(match)
          if (found.length >= n) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(found.slice(0, n))
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${n} "${event}" events not seen within ${timeoutMs} ms; got ${JSON.stringify(events)}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}
