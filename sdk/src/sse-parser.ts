/**
 * A server-sent events parser, as the WHATWG HTML standard interprets an event stream ("Server-sent
 * events", 9.2.6): fed the decoded text as it arrives, in chunks cut anywhere (inside a line, between
 * the CR and LF of a line break), it returns the events each chunk completes. Pure: no I/O.
 */
export interface ServerSentEvent {
  /** The `event:` field; `message` when the event had none. */
  event: string
  /** Its `data:` lines joined with line feeds. */
  data: string
  /** The stream's last event id (`id:`) when the event was dispatched; '' when none was given. */
  lastEventId: string
}

export class SseParser {
  /** The last event id: a reconnecting client sends it as `Last-Event-ID`. Kept across events. */
  lastEventId: string
  /** The reconnection time the stream asked for (`retry:`), in ms; null until it does. */
  retryMs: number | null = null
  private pending = ''
  /** The previous chunk ended with a CR: an LF starting this one belongs to the same line break. */
  private afterCR = false
  private eventType = ''
  private dataLines: string[] = []

  /** `lastEventId`: the id from a previous connection, which stands until the stream sends another. */
  constructor(lastEventId = '') {
    this.lastEventId = lastEventId
  }

  feed(chunk: string): ServerSentEvent[] {
    let text = chunk
    if (this.afterCR && text.startsWith('\n')) text = text.slice(1)
    this.afterCR = false
    const buffer = this.pending + text
    const events: ServerSentEvent[] = []
    let start = 0
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i)
      if (c !== 0x0a && c !== 0x0d) continue
      const event = this.line(buffer.slice(start, i))
      if (event !== null) events.push(event)
      if (c === 0x0d) {
        if (i + 1 === buffer.length) this.afterCR = true
        else if (buffer.charCodeAt(i + 1) === 0x0a) i++
      }
      start = i + 1
    }
    this.pending = buffer.slice(start)
    return events
  }

  private line(line: string): ServerSentEvent | null {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return null // a comment (the server's heartbeats)
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.eventType = value
    else if (field === 'data') this.dataLines.push(value)
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value)
    return null
  }

  private dispatch(): ServerSentEvent | null {
    const event = this.dataLines.length === 0 ? null : { event: this.eventType === '' ? 'message' : this.eventType, data: this.dataLines.join('\n'), lastEventId: this.lastEventId }
    this.eventType = ''
    this.dataLines = []
    return event
  }
}
