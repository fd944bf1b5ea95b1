import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { enc, post } from '../../api/client'
import type { Page, Source } from '../../api/types'
import { CopyButton } from '../../components/CopyButton'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { StatusBadge } from '../../components/StatusBadge'
import { TableWrap } from '../../components/TableWrap'
import { useApi } from '../../hooks/useApi'
import { useBase, useTenantApi } from '../../session-context'
import { SourceForm } from './SourceForm'

/** Inbound sources: where other services send their webhooks; each verified, logged and mapped to events. */
export function Sources() {
  const tenantApi = useTenantApi()
  const base = useBase()
  const { route } = useLocation()
  const list = useApi<Page<Source>>(`${tenantApi}/sources?limit=250`)
  const [creating, setCreating] = useState(false)
  return (
    <section>
      <div class="page-head">
        <h1>Inbound sources</h1>
        <button type="button" class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          Create source
        </button>
      </div>
      {creating ? (
        <SourceForm
          submitLabel="Create"
          onSave={async (body) => {
            const s = await post<Source>(`${tenantApi}/sources`, body)
            route(`${base}/sources/${enc(s.id)}`)
          }}
        />
      ) : null}
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">No sources yet.</p>
      ) : (
        <TableWrap label="Inbound sources">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Verification</th>
                <th scope="col">Ingest URL</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`${base}/sources/${enc(s.id)}`}>{s.name}</a>
                    <div>
                      <CopyId id={s.id} />
                    </div>
                  </td>
                  <td>
                    <code>{s.verification.type}</code>
                  </td>
                  <td>
                    <code class="break">{s.ingestUrl}</code> <CopyButton text={s.ingestUrl} label={`Copy ingest URL of ${s.name}`} />
                  </td>
                  <td>
                    <StatusBadge status={s.enabled ? 'enabled' : 'disabled'} />
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
