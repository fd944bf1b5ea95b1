import { useState } from 'preact/hooks'
import { del, enc, post } from '../../api/client'
import { ALL_CAPABILITIES, type Capability, type Page, type PortalSession, type Theme } from '../../api/types'
import { CopyButton } from '../../components/CopyButton'
import { CopyId } from '../../components/CopyId'
import { described, Field } from '../../components/Field'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useTenantApi } from '../../session-context'

const CAPABILITY_TEXT: Record<Capability, string> = {
  'endpoints.write': 'Create, edit, enable and delete endpoints',
  'secrets.read': 'Reveal signing secrets',
  'secrets.rotate': 'Rotate signing secrets',
  'deliveries.retry': 'Retry, recover and send tests',
}

/** Portal links (admin): a short-lived, tenant-scoped portal with chosen capabilities and theme; copy; revoke. */
export function PortalLinks() {
  const tenantApi = useTenantApi()
  const list = useApi<Page<PortalSession>>(`${tenantApi}/portal-sessions?limit=250`)
  const [expires, setExpires] = useState('3600')
  const [caps, setCaps] = useState<Capability[]>(ALL_CAPABILITIES)
  const [theme, setTheme] = useState<Theme>({ title: '', primaryColor: '#4f46e5', logoUrl: '', mode: 'auto' })
  const [created, setCreated] = useState<PortalSession | null>(null)
  const create = useAction(async () => {
    const t: Record<string, string> = { mode: theme.mode }
    if (theme.title) t.title = theme.title
    if (theme.primaryColor) t.primaryColor = theme.primaryColor
    if (theme.logoUrl) t.logoUrl = theme.logoUrl
    setCreated(await post<PortalSession>(`${tenantApi}/portal-sessions`, { expiresInSeconds: Number(expires), capabilities: caps, theme: t }))
    list.reload()
  })
  const revoke = useAction(async (s: PortalSession) => {
    await del(`${tenantApi}/portal-sessions/${enc(s.id)}`)
    list.reload()
  })
  const err = (p: string) => create.error?.errors.find((e) => e.path === p || e.path.startsWith(`${p}/`))?.message
  return (
    <section>
      <div class="page-head">
        <h1>Portal links</h1>
      </div>
      <p class="hint lede">
        A portal link opens this tenant's endpoints, deliveries and events, branded, for the tenant's own people. Embed it in an iframe from an origin listed
        in <code>HOOKRELAY_PORTAL_ORIGINS</code>. Your server makes it with <code>POST {tenantApi}/portal-sessions</code>.
      </p>
      <form class="card" onSubmit={(e) => (e.preventDefault(), void create.run())}>
        <h2>Create portal link</h2>
        <Field id="pl-expires" label="Expires in seconds" error={err('/expiresInSeconds')} hint="60 to 604800 (a week).">
          <input inputMode="numeric" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} {...described('pl-expires', true, err('/expiresInSeconds'))} />
        </Field>
        <fieldset>
          <legend>Capabilities</legend>
          <p class="hint">Reading is always allowed. Each capability is enforced by the API (403 without it).</p>
          {ALL_CAPABILITIES.map((c) => (
            <label class="check" key={c}>
              <input type="checkbox" checked={caps.includes(c)} onChange={(e) => setCaps(e.currentTarget.checked ? [...caps, c] : caps.filter((x) => x !== c))} />
              <span>
                <code>{c}</code> {CAPABILITY_TEXT[c]}
              </span>
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Theme</legend>
          <div class="row">
            <Field id="pl-title" label="Title" error={err('/theme/title')}>
              <input value={theme.title ?? ''} onInput={(e) => setTheme({ ...theme, title: e.currentTarget.value })} {...described('pl-title', false, err('/theme/title'))} />
            </Field>
            <Field id="pl-color" label="Primary colour" error={err('/theme/primaryColor')}>
              <input type="color" value={theme.primaryColor ?? '#4f46e5'} onInput={(e) => setTheme({ ...theme, primaryColor: e.currentTarget.value })} {...described('pl-color', false, err('/theme/primaryColor'))} />
            </Field>
            <Field id="pl-mode" label="Mode">
              <select value={theme.mode} onChange={(e) => setTheme({ ...theme, mode: e.currentTarget.value as Theme['mode'] })} id="pl-mode">
                <option value="auto">auto</option>
                <option value="light">light</option>
                <option value="dark">dark</option>
              </select>
            </Field>
          </div>
          <Field id="pl-logo" label="Logo URL" error={err('/theme/logoUrl')} hint="An https:// image.">
            <input type="url" value={theme.logoUrl ?? ''} onInput={(e) => setTheme({ ...theme, logoUrl: e.currentTarget.value })} {...described('pl-logo', true, err('/theme/logoUrl'))} />
          </Field>
        </fieldset>
        <ProblemNote error={create.error} shown={['/expiresInSeconds', '/theme']} />
        <button type="submit" class="primary" disabled={create.busy}>
          Create
        </button>
        {created?.url ? (
          <div class="note" role="status">
            <p>Link created; it is shown only now.</p>
            <p class="secret-row">
              <code class="secret" aria-label="Portal link">
                {created.url}
              </code>{' '}
              <CopyButton text={created.url} label="Copy link" />
            </p>
          </div>
        ) : null}
      </form>
      <h2>Live links</h2>
      <ProblemNote error={revoke.error} />
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">No live portal links.</p>
      ) : (
        <TableWrap label="Live portal links">
          <table>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Capabilities</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <CopyId id={s.id} />
                  </td>
                  <td>{s.capabilities.length ? s.capabilities.map((c) => <code class="tag" key={c}>{c}</code>) : 'read only'}</td>
                  <td>
                    <Time iso={s.expiresAt} />
                  </td>
                  <td>
                    <button type="button" class="ghost small danger-text" aria-label={`Revoke ${s.id}`} onClick={() => void revoke.run(s)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  )
}
