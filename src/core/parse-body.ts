import { isUtf8 } from 'node:buffer'
import { decodeFormComponent } from './decode-form-component.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'

/**
 * A received body as the paths read it, or why it cannot be read: `error` is logged, `code` and
 * `detail` answer (400 malformed_json, or 422 too_deeply_nested).
 */
export type ParsedBody = { ok: true; body: unknown } | { ok: false; code: 'malformed_json' | 'too_deeply_nested'; error: string; detail: string }

/** The form media type, with or without parameters, in any case (RFC 9110 8.3.1). */
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i

/**
 * Reads a received body; pure, called by inbound/ingest.ts once the signature was checked on the
 * raw bytes. JSON whatever the content type, except `application/x-www-form-urlencoded` (the WHATWG
 * URL standard's "application/x-www-form-urlencoded parsing"), which GitHub sends by default and
 * Slack sends for slash commands and interactivity: a form whose only field is `payload` is the
 * JSON in it (GitHub, Slack interactivity); any other form is its fields as an object of strings
 * (Slack slash commands), the first value winning when a name repeats. A form body that is JSON
 * itself (a sender that labels its JSON wrongly; a form serializer percent-encodes `{` and `[`) is
 * read as JSON.
 *
 * Either way, JSON nested deeper than MAX_JSON_DEPTH is refused here, as the API's JSON parser
 * refuses it: publishing it would overflow the stack after the request was accepted, and the
 * provider, told 202, would never send it again.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  const text = raw.toString('utf8')
  const asForm = isForm(contentType) && !/^\s*[[{]/.test(text)
  // JSON is UTF-8 (RFC 8259 section 8.1), and so is a form (checked in parseForm, in its own
  // words): decoding other bytes would put U+FFFD in their place and publish what was never sent.
  if (!asForm && !isUtf8(raw)) {
    return { ok: false, code: 'malformed_json', error: 'the body is not valid UTF-8', detail: 'The request body is not valid UTF-8.' }
  }
  const parsed = asForm ? parseForm(raw, text) : parseJson(text)
  if (parsed.ok && nestsDeeperThan(parsed.body, MAX_JSON_DEPTH)) {
    return { ok: false, code: 'too_deeply_nested', error: `the body nests more than ${MAX_JSON_DEPTH} levels deep`, detail: `The body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.` }
  }
  return parsed
}

function parseJson(text: string): ParsedBody {
  try {
    return { ok: true, body: JSON.parse(text) }
  } catch {
    return { ok: false, code: 'malformed_json', error: 'the body is not valid JSON', detail: 'The request body is not valid JSON.' }
  }
}

function isForm(contentType: string | undefined): boolean {
  return contentType !== undefined && FORM.test(contentType)
}

function parseForm(raw: Buffer, text: string): ParsedBody {
  const invalid = (error: string): ParsedBody => ({ ok: false, code: 'malformed_json', error, detail: `The request body is not a valid form: ${error}.` })
  // Percent-escapes must be whole and decode to UTF-8, which the standard would silently replace
  // with U+FFFD: a body that means something else than it says is refused, as malformed JSON is.
  if (!isUtf8(raw)) return invalid('it is not UTF-8')
  const fields = new Map<string, string>()
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    let name: string
    let value: string
    try {
      name = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq))
      value = eq < 0 ? '' : decodeFormComponent(pair.slice(eq + 1))
    } catch {
      return invalid('a percent-escape is malformed or not UTF-8')
    }
    if (!fields.has(name)) fields.set(name, value)
  }
  const payload = fields.get('payload')
  if (fields.size === 1 && payload !== undefined) {
    try {
      return { ok: true, body: JSON.parse(payload) }
    } catch {
      return { ok: false, code: 'malformed_json', error: 'the payload field of the form is not valid JSON', detail: 'The payload field of the form is not valid JSON.' }
    }
  }
  // fromEntries defines own properties, so a field named __proto__ is a field like any other.
  return { ok: true, body: Object.fromEntries(fields) }
}
