import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { del, patch } from '../../api/client'
import type { Tenant } from '../../api/types'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { CopyId } from '../../components/CopyId'
import { described, Field } from '../../components/Field'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useSession, useTenantApi } from '../../session-context'

/** A tenant's name, metadata and allowed networks (admin), and deleting it. */
export function TenantSettings() {
  const tenantApi = useTenantApi()
  const t = useApi<Tenant>(tenantApi)
  if (t.data === undefined) return <Loading error={t.error} />
  return <TenantSettingsForm key={t.data.updatedAt} tenant={t.data} onSaved={t.set} tenantApi={tenantApi} />
}

function TenantSettingsForm({ tenant, onSaved, tenantApi }: { tenant: Tenant; onSaved: (t: Tenant) => void; tenantApi: string }) {
  const { route } = useLocation()
  // Only the admin token may set allowedNetworks (a tenant key is 403): others see them, read only.
  const admin = useSession().session.kind === 'admin'
  const [name, setName] = useState(tenant.name)
  const [metadata, setMetadata] = useState(JSON.stringify(tenant.metadata, null, 2))
  const [inherit, setInherit] = useState(tenant.allowedNetworks === null || tenant.allowedNetworks === undefined)
  const [networks, setNetworks] = useState((tenant.allowedNetworks ?? []).join('\n'))
  const [saved, setSaved] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const save = useAction(async () => {
    let meta: unknown
    try {
      meta = JSON.parse(metadata || '{}')
    } catch {
      meta = metadata
    }
    const body: Record<string, unknown> = { name, metadata: meta }
    if (admin) body.allowedNetworks = inherit ? null : networks.split(/[\s,]+/).filter(Boolean)
    onSaved(await patch<Tenant>(tenantApi, body))
    setSaved(true)
  })
  const remove = useAction(async () => {
    await del(tenantApi)
    route('/ui/tenants')
  })
  const err = (p: string) => save.error?.errors.find((e) => e.path === p || e.path.startsWith(`${p}/`))?.message
  return (
    <section>
      <div class="page-head">
        <h1>Tenant settings</h1>
      </div>
      <p>
        <CopyId id={tenant.id} />
      </p>
      <form class="card" onSubmit={(e) => (e.preventDefault(), setSaved(false), void save.run())}>
        <Field id="ts-name" label="Name" error={err('/name')}>
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('ts-name', false, err('/name'))} />
        </Field>
        <Field id="ts-metadata" label="Metadata" error={err('/metadata')} hint="A JSON object: tenant.metadata in templates and endpoint URLs.">
          <textarea rows={5} class="mono" value={metadata} onInput={(e) => setMetadata(e.currentTarget.value)} {...described('ts-metadata', true, err('/metadata'))} />
        </Field>
        {admin ? (
          <fieldset>
            <legend>Allowed networks</legend>
            <label class="check">
              <input type="checkbox" checked={inherit} onChange={(e) => setInherit(e.currentTarget.checked)} /> Use the server-wide setting (HOOKRELAY_ALLOWED_NETWORKS)
            </label>
            {!inherit ? (
              <Field id="ts-networks" label="CIDRs" error={err('/allowedNetworks')} hint="Private networks this tenant's endpoints and routes may reach, one per line. Empty: none.">
                <textarea rows={3} class="mono" value={networks} onInput={(e) => setNetworks(e.currentTarget.value)} {...described('ts-networks', true, err('/allowedNetworks'))} />
              </Field>
            ) : null}
          </fieldset>
        ) : (
          <p class="note">
            Allowed networks: {tenant.allowedNetworks === null ? 'the server-wide setting' : tenant.allowedNetworks.length === 0 ? 'none' : tenant.allowedNetworks.join(', ')} (set by the operator).
          </p>
        )}
        <ProblemNote error={save.error} shown={['/name', '/metadata', '/allowedNetworks']} />
        {saved ? <p class="note" role="status">Saved.</p> : null}
        <div class="actions">
          <button type="button" class="ghost danger-text" onClick={() => setDeleting(true)}>
            Delete tenant
          </button>
          <button type="submit" class="primary" disabled={save.busy}>
            Save
          </button>
        </div>
      </form>
      <ProblemNote error={remove.error} />
      <ConfirmDialog open={deleting} title={`Delete tenant ${tenant.id}?`} confirm="Delete tenant" busy={remove.busy} onCancel={() => setDeleting(false)} onConfirm={() => void remove.run()}>
        <p>Its endpoints, events, deliveries, sources, routes and keys are deleted with it.</p>
      </ConfirmDialog>
    </section>
  )
}
