import { useState } from 'preact/hooks'
import { del, enc, post } from '../../api/client'
import type { ApiKey, Page } from '../../api/types'
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

/** A tenant's API keys (admin): create (the key is shown once), revoke. */
export function ApiKeys() {
  const tenantApi = useTenantApi()
  const list = useApi<Page<ApiKey>>(`${tenantApi}/api-keys?limit=250`)
  const [name, setName] = useState('')
  const [created, setCreated] = useState<ApiKey | null>(null)
  const create = useAction(async () => {
    setCreated(await post<ApiKey>(`${tenantApi}/api-keys`, { name }))
    setName('')
    list.reload()
  })
  const revoke = useAction(async (k: ApiKey) => {
    await del(`${tenantApi}/api-keys/${enc(k.id)}`)
    list.reload()
  })
  return (
    <section>
      <div class="page-head">
        <h1>API keys</h1>
      </div>
      <form class="card" onSubmit={(e) => (e.preventDefault(), void create.run())}>
        <h2>Create API key</h2>
        <Field id="key-name" label="Name" hint="Where the key is used, e.g. billing-service.">
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('key-name', true)} />
        </Field>
        <button type="submit" class="primary" disabled={create.busy}>
          Create
        </button>
        <ProblemNote error={create.error} />
        {created?.key ? (
          <div class="note" role="status">
            <p>
              Key <strong>{created.name}</strong> created. Copy it now: it is not shown again.
            </p>
            <p class="secret-row">
              <code class="secret">{created.key}</code> <CopyButton text={created.key} label="Copy key" />
            </p>
          </div>
        ) : null}
      </form>
      <ProblemNote error={revoke.error} />
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">No API keys.</p>
      ) : (
        <TableWrap label="API keys">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key ID</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <CopyId id={k.id} />
                  </td>
                  <td>
                    <Time iso={k.createdAt} />
                  </td>
                  <td>
                    <button type="button" class="ghost small danger-text" aria-label={`Revoke ${k.name}`} onClick={() => void revoke.run(k)}>
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
