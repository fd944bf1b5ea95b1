/**
 * Error codes are public API (STYLE.md, habit 4): docs/errors.md documents every code of the
 * catalog in src/errors.ts, and nothing else, with the catalog's status and title.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { errorCatalog } from '../../src/errors.js'

interface DocumentedCode {
  code: string
  status: number
  title: string
  meaning: string
}

/** The rows of the table under "## Codes": `| \`code\` | status | title | meaning |`. */
function documentedCodes(markdown: string): DocumentedCode[] {
  const start = markdown.search(/^## Codes\s*$/m)
  if (start < 0) throw new Error('docs/errors.md has no "## Codes" section')
  const rest = markdown.slice(start).split('\n').slice(1)
  const end = rest.findIndex((line) => line.startsWith('## '))
  const section = end < 0 ? rest : rest.slice(0, end)
  const rows: DocumentedCode[] = []
  for (const line of section) {
    if (!line.startsWith('|')) continue
    const cells = line.split('|').slice(1, -1).map((c) => c.trim())
    const code = /^`([a-z0-9_]+)`$/.exec(cells[0] ?? '')
    if (!code) continue // the header and the separator row
    rows.push({ code: code[1]!, status: Number(cells[1]), title: cells[2] ?? '', meaning: cells[3] ?? '' })
  }
  return rows
}

describe('docs/errors.md', () => {
  const markdown = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8')
  const rows = documentedCodes(markdown)
  const catalog = Object.keys(errorCatalog)

  it('parses a table of codes', () => {
    expect(rows.length).toBeGreaterThan(0)
  })

  it('documents every code of the catalog', () => {
    const documented = new Set(rows.map((r) => r.code))
    expect(catalog.filter((c) => !documented.has(c))).toEqual([])
  })

  it('documents no code that is not in the catalog', () => {
    expect(rows.map((r) => r.code).filter((c) => !(c in errorCatalog))).toEqual([])
  })

  it('documents each code once', () => {
    const codes = rows.map((r) => r.code)
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([])
  })

  it("gives each code the catalog's HTTP status and title, and says what it means", () => {
    for (const row of rows) {
      const entry = errorCatalog[row.code as keyof typeof errorCatalog]
      if (entry === undefined) continue // reported by the test above
      expect({ code: row.code, status: row.status, title: row.title }).toEqual({ code: row.code, status: entry.status, title: entry.title })
      expect(row.meaning.length, `meaning of ${row.code}`).toBeGreaterThan(20)
    }
  })

  it('describes the problem document format', () => {
    for (const field of ['type', 'title', 'status', 'detail', 'code', 'errors']) expect(markdown).toContain(`\`${field}\``)
    expect(markdown).toContain('application/problem+json')
  })
})
