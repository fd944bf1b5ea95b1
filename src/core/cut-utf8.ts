/** Stored request and response bodies of attempts are cut here (API.md, attempt): 64 KiB. */
export const MAX_STORED_BODY_BYTES = 65_536

/** The length of `buf` without a UTF-8 sequence cut off at its end (cut bodies stay valid text). */
export function completeUtf8Length(buf: Uint8Array): number {
  const end = buf.length
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = buf[i] as number
    if ((byte & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return end - i >= need ? end : i
  }
  return end
}

/**
 * `text` cut to at most `maxBytes` of UTF-8, never inside a character. Short text is returned as
 * it is without being encoded: a character is at most 3 UTF-8 bytes per UTF-16 unit.
 */
export function cutUtf8(text: string, maxBytes: number = MAX_STORED_BODY_BYTES): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text
  // maxBytes characters encode to at least maxBytes bytes, so the prefix holds everything kept.
  const buf = Buffer.from(text.slice(0, maxBytes)).subarray(0, maxBytes)
  return buf.subarray(0, completeUtf8Length(buf)).toString('utf8')
}
