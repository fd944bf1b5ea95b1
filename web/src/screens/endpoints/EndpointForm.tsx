import { useEffect, useMemo, useState } from 'preact/hooks'
import { useLocation, useRoute } from 'preact-iso'
import { ApiError, enc, patch, post } from '../../api/client'
import { can } from '../../api/session'
import type { Endpoint, EventType, Page } from '../../api/types'
import { described, Field } from '../../components/Field'
import { KeyValueRows } from '../../components/KeyValueRows'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { useApi } from '../../hooks/useApi'
import { useBase, useSession, useTenantApi } from '../../session-context'
import { bodyOf, changes, draftOf, DraftError, emptyDraft, type Draft } from './endpoint-draft'
import { EndpointPreview } from './EndpointPreview'
import { EventTypePicker } from './EventTypePicker'
import { TemplateEditor } from './TemplateEditor'

/** The API paths the form shows next to a field; a problem's other errors are listed under the form. */
const FIELD_PATHS = ['/url', '/name', '/description', '/method', '/eventTypes', '/channels', '/auth', '/headers', '/queryParams', '/payload/format', '/payload/template', '/payload/extraFields', '/retry/maxRetries', '/retry/schedule', '/timeoutSeconds', '/rateLimitPerSecond', '/ordering', '/metadata']

/** Create or edit an endpoint with every option the API has; a refusal's errors[] shown at their fields. */
export function EndpointForm() {
  const { params } = useRoute()
  const id = params.endpointId
  const tenantApi = useTenantApi()
  const existing = useApi<Endpoint>(id ? `${tenantApi}/endpoints/${enc(id)}` : null)
  const types = useApi<Page<EventType>>('/v1/event-types?limit=250')
  if (id && existing.data === undefined) return <Loading error={existing.error} />
  if (types.data === undefined && !types.error) return <Loading />
  return <EndpointFormBody key={id ?? 'new'} endpoint={existing.data} types={types.data?.data ?? []} />
}

function EndpointFormBody({ endpoint, types }: { endpoint: Endpoint | undefined; types: EventType[] }) {
  const { session } = useSession()
  const tenantApi = useTenantApi()
  const base = useBase()
  const { route } = useLocation()
  const [d, setD] = useState<Draft>(endpoint ? draftOf(endpoint) : emptyDraft)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  const [previewType, setPreviewType] = useState(() => d.eventTypes.find((t) => types.some((x) => x.name === t)) ?? types.find((t) => t.example || t.schema)?.name ?? 'webhook.test')
  const set = (p: Partial<Draft>) => setD({ ...d, ...p })
  const writable = can(session, 'endpoints.write')

  const previewBody = useMemo(() => {
    try {
      return d.url.trim() === '' ? null : bodyOf(d)
    } catch {
      return null
    }
  }, [d])

  /** The message for a field: its own path, or the first error under it (/headers/X-Env under /headers). */
  const err = (path: string) => errors[path] ?? Object.entries(errors).find(([p]) => p.startsWith(`${path}/`))?.[1]
  const shownPaths = Object.keys(errors)

  const save = async (e: Event) => {
    e.preventDefault()
    setProblem(null)
    setErrors({})
    let body: Record<string, unknown>
    try {
      body = bodyOf(d)
    } catch (x) {
      if (x instanceof DraftError) setErrors({ [x.path]: x.message })
      return
    }
    setBusy(true)
    try {
      const saved = endpoint
        ? await patch<Endpoint>(`${tenantApi}/endpoints/${enc(endpoint.id)}`, changes(body, bodyOf(draftOf(endpoint))))
        : await post<Endpoint>(`${tenantApi}/endpoints`, body)
      route(`${base}/endpoints/${enc(saved.id)}`)
    } catch (x) {
      if (x instanceof ApiError) {
        setProblem(x)
        setErrors(Object.fromEntries(x.errors.map((fe) => [fe.path, fe.message])))
      }
    } finally {
      setBusy(false)
    }
  }

  useEffect(() => {
    document.title = endpoint ? `Edit ${endpoint.name || endpoint.url}` : 'Create endpoint'
  }, [])

  const mono = (id: string, value: string, onInput: (v: string) => void, rows = 4) => (
    <textarea rows={rows} class="mono" spellcheck={false} value={value} onInput={(e) => onInput(e.currentTarget.value)} {...described(id, false, err(`/${id.replace('-', '/')}`))} />
  )

  return (
    <section>
      <div class="page-head">
        <h1>{endpoint ? `Edit ${endpoint.name || 'endpoint'}` : 'Create endpoint'}</h1>
      </div>
      {!writable ? <p class="note">This session may read endpoints but not change them.</p> : null}
      <form class="endpoint-form" onSubmit={(e) => void save(e)} noValidate>
        <fieldset>
          <legend>Endpoint</legend>
          <Field id="url" label="URL" error={err('/url')} hint="https:// or http://; may use Liquid over tenant.metadata and endpoint.metadata.">
            <input type="url" required value={d.url} onInput={(e) => set({ url: e.currentTarget.value })} {...described('url', true, err('/url'))} />
          </Field>
          <Field id="name" label="Name" error={err('/name')}>
            <input value={d.name} onInput={(e) => set({ name: e.currentTarget.value })} {...described('name', false, err('/name'))} />
          </Field>
          <Field id="description" label="Description" error={err('/description')}>
            <input value={d.description} onInput={(e) => set({ description: e.currentTarget.value })} {...described('description', false, err('/description'))} />
          </Field>
          <div class="row">
            <Field id="method" label="Method" error={err('/method')}>
              <select value={d.method} onChange={(e) => set({ method: e.currentTarget.value as Draft['method'] })} {...described('method', false, err('/method'))}>
                {['POST', 'PUT', 'PATCH', 'GET'].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </Field>
            <label class="check">
              <input type="checkbox" checked={d.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} /> Enabled
            </label>
          </div>
        </fieldset>

        <fieldset>
          <legend>What it receives</legend>
          <EventTypePicker types={types} value={d.eventTypes} onChange={(eventTypes) => set({ eventTypes })} error={err('/eventTypes')} />
          <Field id="channels" label="Channels" error={err('/channels')} hint="Comma-separated. Empty: every channel.">
            <input value={d.channels} onInput={(e) => set({ channels: e.currentTarget.value })} {...described('channels', true, err('/channels'))} />
          </Field>
        </fieldset>

        <fieldset>
          <legend>Authentication</legend>
          <Field id="auth-type" label="Auth type" error={err('/auth/type')}>
            <select value={d.auth.type} onChange={(e) => set({ auth: { type: e.currentTarget.value as Draft['auth']['type'] } })} {...described('auth-type', false, err('/auth/type'))}>
              <option value="none">none</option>
              <option value="bearer">bearer</option>
              <option value="basic">basic</option>
              <option value="header">header</option>
            </select>
          </Field>
          {d.auth.type === 'bearer' ? (
            <Field id="auth-token" label="Token" error={err('/auth/token')} hint={endpoint ? 'Shown masked; leave it to keep the stored token.' : undefined}>
              <input value={d.auth.token ?? ''} onInput={(e) => set({ auth: { ...d.auth, token: e.currentTarget.value } })} {...described('auth-token', !!endpoint, err('/auth/token'))} />
            </Field>
          ) : null}
          {d.auth.type === 'basic' ? (
            <div class="row">
              <Field id="auth-username" label="Username" error={err('/auth/username')}>
                <input value={d.auth.username ?? ''} onInput={(e) => set({ auth: { ...d.auth, username: e.currentTarget.value } })} {...described('auth-username', false, err('/auth/username'))} />
              </Field>
              <Field id="auth-password" label="Password" error={err('/auth/password')}>
                <input value={d.auth.password ?? ''} onInput={(e) => set({ auth: { ...d.auth, password: e.currentTarget.value } })} {...described('auth-password', false, err('/auth/password'))} />
              </Field>
            </div>
          ) : null}
          {d.auth.type === 'header' ? (
            <div class="row">
              <Field id="auth-name" label="Header name" error={err('/auth/name')}>
                <input value={d.auth.name ?? ''} onInput={(e) => set({ auth: { ...d.auth, name: e.currentTarget.value } })} {...described('auth-name', false, err('/auth/name'))} />
              </Field>
              <Field id="auth-value" label="Header value" error={err('/auth/value')}>
                <input value={d.auth.value ?? ''} onInput={(e) => set({ auth: { ...d.auth, value: e.currentTarget.value } })} {...described('auth-value', false, err('/auth/value'))} />
              </Field>
            </div>
          ) : null}
          <KeyValueRows id="headers" legend="Headers" rows={d.headers} onChange={(headers) => set({ headers })} error={err('/headers')} />
          <KeyValueRows id="query" legend="Query parameters" rows={d.queryParams} onChange={(queryParams) => set({ queryParams })} error={err('/queryParams')} />
        </fieldset>

        <fieldset>
          <legend>Payload</legend>
          <Field id="format" label="Payload format" error={err('/payload/format')}>
            <select value={d.format} onChange={(e) => set({ format: e.currentTarget.value as Draft['format'] })} {...described('format', false, err('/payload/format'))}>
              <option value="json">json (application/json)</option>
              <option value="text">text (text/plain)</option>
            </select>
          </Field>
          <div class="template-and-preview">
            <TemplateEditor
              value={d.template}
              onChange={(template) => set({ template })}
              format={d.format}
              types={types}
              eventType={previewType}
              onEventType={setPreviewType}
              error={err('/payload/template')}
            />
            <EndpointPreview tenantApi={tenantApi} body={previewBody} eventType={previewType} />
          </div>
          <Field id="payload-extraFields" label="Extra fields" error={err('/payload/extraFields')} hint="A JSON object merged into the top level of a JSON body.">
            {mono('payload-extraFields', d.extraFields, (extraFields) => set({ extraFields }), 3)}
          </Field>
          <div class="checks" role="group" aria-label="Gateway payload fields">
            {(
              [
                ['includeRequestBody', 'Include request body'],
                ['includeResponseBody', 'Include response body'],
                ['includeHeaders', 'Include headers'],
                ['includeStatusCode', 'Include status code'],
              ] as const
            ).map(([k, label]) => (
              <label class="check" key={k}>
                <input type="checkbox" checked={d[k]} onChange={(e) => set({ [k]: e.currentTarget.checked })} /> {label}
              </label>
            ))}
          </div>
        </fieldset>

        <fieldset>
          <legend>Delivery</legend>
          <label class="check">
            <input type="checkbox" checked={d.retryEnabled} onChange={(e) => set({ retryEnabled: e.currentTarget.checked })} /> Retry enabled
          </label>
          <div class="row">
            <Field id="retry-maxRetries" label="Max retries" error={err('/retry/maxRetries')} hint="0-5, or up to the schedule's length.">
              <input inputMode="numeric" value={d.maxRetries} onInput={(e) => set({ maxRetries: e.currentTarget.value })} {...described('retry-maxRetries', true, err('/retry/maxRetries'))} />
            </Field>
            <Field id="retry-schedule" label="Retry schedule" error={err('/retry/schedule')} hint="Delays in seconds, comma-separated (e.g. 5, 300, 1800). Empty: 1, 2, 4, 8, 16 s.">
              <input value={d.schedule} onInput={(e) => set({ schedule: e.currentTarget.value })} {...described('retry-schedule', true, err('/retry/schedule'))} />
            </Field>
          </div>
          <div class="row">
            <Field id="timeoutSeconds" label="Timeout seconds" error={err('/timeoutSeconds')} hint="1-60.">
              <input inputMode="numeric" value={d.timeoutSeconds} onInput={(e) => set({ timeoutSeconds: e.currentTarget.value })} {...described('timeoutSeconds', true, err('/timeoutSeconds'))} />
            </Field>
            <Field id="rateLimitPerSecond" label="Rate limit per second" error={err('/rateLimitPerSecond')} hint="Empty: no limit.">
              <input inputMode="numeric" value={d.rateLimitPerSecond} onInput={(e) => set({ rateLimitPerSecond: e.currentTarget.value })} {...described('rateLimitPerSecond', true, err('/rateLimitPerSecond'))} />
            </Field>
            <Field id="ordering" label="Ordering" error={err('/ordering')} hint="fifo: one at a time, in publish order.">
              <select value={d.ordering} onChange={(e) => set({ ordering: e.currentTarget.value as Draft['ordering'] })} {...described('ordering', true, err('/ordering'))}>
                <option value="none">none</option>
                <option value="fifo">fifo</option>
              </select>
            </Field>
          </div>
          <Field id="metadata" label="Metadata" error={err('/metadata')} hint="A JSON object, available to templates as endpoint.metadata.">
            {mono('metadata', d.metadata, (metadata) => set({ metadata }), 3)}
          </Field>
        </fieldset>

        <ProblemNote error={problem} shown={shownPaths.filter((p) => FIELD_PATHS.some((f) => p === f || p.startsWith(`${f}/`)))} />
        <div class="actions">
          <button type="button" class="ghost" onClick={() => history.back()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !writable}>
            {endpoint ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </section>
  )
}
