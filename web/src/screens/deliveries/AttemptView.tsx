import type { Attempt } from '../../api/types'
import { CodeBlock, HeadersTable } from '../../components/CodeBlock'
import { HttpStatus } from '../../components/StatusBadge'
import { Time } from '../../components/Time'

/** One attempt: when, how long, why it was made, the request as sent and the response as received. */
export function AttemptView({ attempt: a }: { attempt: Attempt }) {
  return (
    <article class={`attempt ${a.success ? 'ok' : 'bad'}`} aria-label={`Attempt ${a.attemptNumber}`}>
      <header>
        <h3>
          Attempt {a.attemptNumber} <span class={`badge ${a.success ? 'ok' : 'bad'}`}>{a.success ? 'succeeded' : 'failed'}</span>
        </h3>
        <p class="meta">
          <Time iso={a.startedAt} /> · {a.durationMs} ms · trigger {a.trigger}
          {a.error ? (
            <>
              {' '}
              · error <code>{a.error.kind}</code>: {a.error.message}
            </>
          ) : null}
        </p>
      </header>
      <div class="attempt-parts">
        <section>
          <h4>Request</h4>
          <p>
            <code class="break">
              {a.request.method} {a.request.url}
            </code>
          </p>
          <details>
            <summary>Request headers ({Object.keys(a.request.headers).length})</summary>
            <HeadersTable headers={a.request.headers} caption={`Attempt ${a.attemptNumber} request headers`} />
          </details>
          <CodeBlock text={a.request.body} label={`Attempt ${a.attemptNumber} request body`} />
        </section>
        <section>
          <h4>
            Response <HttpStatus status={a.response?.status} />
          </h4>
          {a.response ? (
            <>
              <details>
                <summary>Response headers ({Object.keys(a.response.headers).length})</summary>
                <HeadersTable headers={a.response.headers} caption={`Attempt ${a.attemptNumber} response headers`} />
              </details>
              <CodeBlock text={a.response.body} label={`Attempt ${a.attemptNumber} response body`} />
            </>
          ) : (
            <p class="muted">No response{a.error ? ` (${a.error.kind})` : ''}.</p>
          )}
        </section>
      </div>
    </article>
  )
}
