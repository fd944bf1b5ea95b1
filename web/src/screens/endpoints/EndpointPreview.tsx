import { useEffect, useState } from 'preact/hooks'
import { ApiError, post } from '../../api/client'
import type { PreviewRequest } from '../../api/types'
import { CodeBlock, HeadersTable } from '../../components/CodeBlock'

/** The exact request a delivery would send now (POST .../endpoints/preview), refreshed as the form changes. */
export function EndpointPreview({ tenantApi, body, eventType }: { tenantApi: string; body: Record<string, unknown> | null; eventType: string }) {
  const [request, setRequest] = useState<PreviewRequest | null>(null)
  const [error, setError] = useState<string | null>(null)
  const key = JSON.stringify([body, eventType])
  useEffect(() => {
    if (body === null) return
    let live = true
    const t = setTimeout(() => {
      post<{ request: PreviewRequest }>(`${tenantApi}/endpoints/preview`, { endpoint: body, ...(eventType ? { eventType } : {}) }).then(
        (r) => {
          if (!live) return
          setRequest(r.request)
          setError(null)
        },
        (e: unknown) => {
          if (!live) return
          setError(e instanceof ApiError ? [e.detail, ...e.errors.map((x) => `${x.path}: ${x.message}`)].join(' ') : String(e))
        },
      )
    }, 300)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [key])
  return (
    <section class="preview" aria-labelledby="preview-title" aria-live="polite">
      <h3 id="preview-title">Preview</h3>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {request ? (
        <div class={error ? 'stale' : ''}>
          <p>
            <code>
              {request.method} {request.url}
            </code>
          </p>
          <HeadersTable headers={request.headers} caption="Preview request headers" />
          <CodeBlock text={request.body} label="Preview request body" />
        </div>
      ) : !error ? (
        <p class="muted">Fill in the URL to see the request.</p>
      ) : null}
    </section>
  )
}
