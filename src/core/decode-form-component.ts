/**
 * One name or value of an `application/x-www-form-urlencoded` string (a form body, a query string),
 * decoded as the WHATWG URL standard's form parsing does: `+` is a space, then percent-decoding.
 * Throws a URIError on an escape that is malformed or not UTF-8, where the standard would put
 * U+FFFD without a word: callers decide whether that refuses the input or keeps it as it came.
 */
export function decodeFormComponent(s: string): string {
  return decodeURIComponent(s.replaceAll('+', ' '))
}
