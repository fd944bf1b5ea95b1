import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { enc, post, query } from '../../api/client'
import type { Page, Tenant } from '../../api/types'
import { CopyId } from '../../components/CopyId'
import { described, Field } from '../../components/Field'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { ProblemNote } from '../../components/ProblemNote'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'

/** Every tenant (admin): open one to see its endpoints; create a tenant. */
export function Tenants() {
  const [q, setQ] = useQueryState()
  const list = useApi<Page<Tenant>>(`/v1/tenants${query({ limit: 100, cursor: q.cursor })}`)
  const { route } = useLocation()
  const [id, setId] = useState('')
  const [name, setName] = useState('')
  const [metadata, setMetadata] = useState('{}')
  const create = useAction(async () => {
    let meta: unknown
    try {
      meta = JSON.parse(metadata || '{}')
    } catch {
      meta = metadata
    }
    const t = await post<Tenant>('/v1/tenants', { ...(id.trim() ? { id: id.trim() } : {}), name, metadata: meta })
    route(`/ui/t/${enc(t.id)}/endpoints`)
  })
  const err = (p: string) => create.error?.errors.find((e) => e.path === p || e.path.startsWith(`${p}/`))?.message
  return (
    <section>
      <div class="page-head">
        <h1>Tenants</h1>
      </div>
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : (
        <TableWrap label="Tenants">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Tenant</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((t) => (
                <tr key={t.id}>
                  <td>
                    <a href={`/ui/t/${enc(t.id)}/endpoints`}>{t.name || t.id}</a>
                  </td>
                  <td>
                    <CopyId id={t.id} />
                  </td>
                  <td>
                    <Time iso={t.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager cursor={q.cursor} next={list.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
      <form class="card" onSubmit={(e) => (e.preventDefault(), void create.run())} aria-labelledby="new-tenant">
        <h2 id="new-tenant">Create tenant</h2>
        <div class="row">
          <Field id="tenant-name" label="Name" error={err('/name')}>
            <input required value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('tenant-name', false, err('/name'))} />
          </Field>
          <Field id="tenant-id" label="ID" error={err('/id')} hint="Optional: letters, digits, _ and -. Generated when left empty.">
            <input value={id} onInput={(e) => setId(e.currentTarget.value)} {...described('tenant-id', true, err('/id'))} />
          </Field>
        </div>
        <Field id="tenant-metadata" label="Metadata" error={err('/metadata')} hint="A JSON object, available to templates and URLs as tenant.metadata.">
          <textarea rows={3} class="mono" value={metadata} onInput={(e) => setMetadata(e.currentTarget.value)} {...described('tenant-metadata', true, err('/metadata'))} />
        </Field>
        <ProblemNote error={create.error} shown={['/name', '/id', '/metadata']} />
        <button type="submit" class="primary" disabled={create.busy}>
          Create
        </button>
      </form>
    </section>
  )
}
