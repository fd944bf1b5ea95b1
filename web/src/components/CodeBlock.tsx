/** Text shown as it is (a body, headers), pretty-printed when it is JSON. */
export function CodeBlock({ text, label }: { text: string | null | undefined; label: string }) {
  let shown = text ?? ''
  try {
    if (shown.trim().startsWith('{') || shown.trim().startsWith('[')) shown = JSON.stringify(JSON.parse(shown), null, 2)
  } catch {
    // not JSON: as received
  }
  return (
    <pre class="code" tabIndex={0} aria-label={label}>
      {shown === '' ? <span class="muted">(empty)</span> : shown}
    </pre>
  )
}

export const json = (v: unknown) => JSON.stringify(v, null, 2)

export function HeadersTable({ headers, caption }: { headers: Record<string, string>; caption: string }) {
  const entries = Object.entries(headers)
  if (entries.length === 0) return <p class="muted">No headers.</p>
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table class="kv">
        <caption class="sr-only">{caption}</caption>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>
                <code>{v}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
