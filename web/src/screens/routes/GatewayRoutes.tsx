import { useState } from 'preact/hooks'
import { del, enc, post } from '../../api/client'
import type { GatewayRoute, Page } from '../../api/types'
import { CopyButton } from '../../components/CopyButton'
import { CopyId } from '../../components/CopyId'
import { described, Field } from '../../components/Field'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { TableWrap } from '../../components/TableWrap'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useTenantApi } from '../../session-context'

/** Gateway routes: /gw/{tenant}/{name}/... forwarded to the upstream, each request an event. */
export function GatewayRoutes() {
  const tenantApi = useTenantApi()
  const list = useApi<Page<GatewayRoute>>(`${tenantApi}/routes?limit=250`)
  const [name, setName] = useState('')
  const [upstreamUrl, setUpstreamUrl] = useState('')
  const [timeout, setTimeoutSeconds] = useState('30')
  const create = useAction(async () => {
    await post(`${tenantApi}/routes`, { name, upstreamUrl, timeoutSeconds: Number(timeout) })
    setName('')
    setUpstreamUrl('')
    list.reload()
  })
  const remove = useAction(async (r: GatewayRoute) => {
    await del(`${tenantApi}/routes/${enc(r.id)}`)
    list.reload()
  })
  const err = (p: string) => create.error?.errors.find((e) => e.path === p)?.message
  return (
    <section>
      <div class="page-head">
        <h1>Gateway routes</h1>
      </div>
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">No routes. A route forwards /gw/… requests to an upstream and publishes an event for each.</p>
      ) : (
        <TableWrap label="Gateway routes">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Gateway URL</th>
                <th scope="col">Upstream URL</th>
                <th scope="col">Timeout</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.name}
                    <div>
                      <CopyId id={r.id} />
                    </div>
                  </td>
                  <td>
                    <code class="break">{r.gatewayUrl}</code> <CopyButton text={r.gatewayUrl} label={`Copy gateway URL of ${r.name}`} />
                  </td>
                  <td>
                    <code class="break">{r.upstreamUrl}</code>
                  </td>
                  <td>{r.timeoutSeconds} s</td>
                  <td>
                    <button type="button" class="ghost small danger-text" aria-label={`Delete ${r.name}`} onClick={() => void remove.run(r)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <ProblemNote error={remove.error} />
      <form class="card" onSubmit={(e) => (e.preventDefault(), void create.run())}>
        <h2>Create route</h2>
        <div class="row">
          <Field id="rt-name" label="Name" error={err('/name')} hint="Also the channel of its events.">
            <input required value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('rt-name', true, err('/name'))} />
          </Field>
          <Field id="rt-upstream" label="Upstream URL" error={err('/upstreamUrl')}>
            <input type="url" required value={upstreamUrl} onInput={(e) => setUpstreamUrl(e.currentTarget.value)} {...described('rt-upstream', false, err('/upstreamUrl'))} />
          </Field>
          <Field id="rt-timeout" label="Timeout seconds" error={err('/timeoutSeconds')}>
            <input inputMode="numeric" value={timeout} onInput={(e) => setTimeoutSeconds(e.currentTarget.value)} {...described('rt-timeout', false, err('/timeoutSeconds'))} />
          </Field>
        </div>
        <ProblemNote error={create.error} shown={['/name', '/upstreamUrl', '/timeoutSeconds']} />
        <button type="submit" class="primary" disabled={create.busy}>
          Create
        </button>
      </form>
    </section>
  )
}
