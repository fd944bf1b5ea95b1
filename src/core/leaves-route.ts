/**
 * Whether a gateway path, as received (still percent-encoded), could lead an upstream outside the
 * route's base path. The URL parser resolves literal `..` and `%2e%2e` segments, but an upstream
 * that decodes the path itself (most frameworks do) also reads `..%2f..%2fadmin` as two steps up,
 * `..\admin` as one on Windows-minded servers, and a double-encoded `%252e%252e` as `..` once its
 * proxy or framework decodes twice. So each segment is decoded the way the upstream might, up to
 * `MAX_DECODES` times, split again on `/` and `\`, and the dot segments resolved (RFC 3986 5.2.4);
 * the path leaves the route if it ever climbs above where it started. Pure.
 */
export function leavesRoute(rest: string): boolean {
  let depth = 0
  for (const raw of rest.split('/')) {
    for (const part of decodedParts(raw)) {
      if (part === '' || part === '.') continue
      if (part === '..') {
        if (--depth < 0) return true
      } else {
        depth++
      }
    }
  }
  return false
}

/** Decoding rounds: once as a normal upstream does, and again for double and triple encoding. */
const MAX_DECODES = 3

/** A segment split on `/` and `\` after it has been percent-decoded as often as it decodes further. */
function decodedParts(segment: string): string[] {
  let s = segment
  for (let i = 0; i < MAX_DECODES && s.includes('%'); i++) {
    const next = percentDecode(s)
    if (next === s) break
    s = next
  }
  return s.split(/[/\\]/)
}

/**
 * `%XX` escapes turned into the bytes they stand for, read as Latin-1 so that any byte sequence
 * decodes (decodeURIComponent throws on invalid UTF-8); the ASCII that matters here (`.`, `/`,
 * `\`, `%`) comes out the same either way. A `%` not followed by two hex digits stays as it is.
 */
function percentDecode(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}
