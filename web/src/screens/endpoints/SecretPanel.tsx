import { useState } from 'preact/hooks'
import { enc, get, post } from '../../api/client'
import { can } from '../../api/session'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { CopyButton } from '../../components/CopyButton'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'
import { useSession } from '../../session-context'

/** The signing secret: hidden until revealed; rotation asks first and explains the 24-hour overlap. */
export function SecretPanel({ tenantApi, endpointId }: { tenantApi: string; endpointId: string }) {
  const { session } = useSession()
  const [secret, setSecret] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [rotated, setRotated] = useState(false)
  const path = `${tenantApi}/endpoints/${enc(endpointId)}/secret`
  const reveal = useAction(async () => setSecret((await get<{ secret: string }>(path)).secret))
  const rotate = useAction(async () => {
    setSecret((await post<{ secret: string }>(`${path}/rotate`, {})).secret)
    setRotated(true)
    setConfirming(false)
  })
  const mayRead = can(session, 'secrets.read')
  const mayRotate = can(session, 'secrets.rotate')
  return (
    <section class="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p class="hint">Receivers verify each request's webhook-signature header with this secret (any Standard Webhooks library).</p>
      <div class="secret-row">
        <code class="secret" aria-label="Signing secret">
          {secret ?? 'whsec_••••••••••••••••••••••••'}
        </code>
        {secret ? <CopyButton text={secret} label="Copy secret" /> : null}
      </div>
      {rotated ? <p class="note">Rotated. The previous secret keeps signing alongside this one for 24 hours.</p> : null}
      <div class="actions start">
        {mayRead && secret === null ? (
          <button type="button" onClick={() => void reveal.run()} disabled={reveal.busy}>
            Reveal secret
          </button>
        ) : null}
        {secret !== null ? (
          <button type="button" class="ghost" onClick={() => setSecret(null)}>
            Hide secret
          </button>
        ) : null}
        {mayRotate ? (
          <button type="button" class="ghost" onClick={() => setConfirming(true)}>
            Rotate secret
          </button>
        ) : null}
        {!mayRead && !mayRotate ? <p class="muted">This session may not read or rotate the secret.</p> : null}
      </div>
      <ProblemNote error={reveal.error ?? rotate.error} />
      <ConfirmDialog open={confirming} title="Rotate the signing secret?" confirm="Rotate secret" busy={rotate.busy} onCancel={() => setConfirming(false)} onConfirm={() => void rotate.run()}>
        <p>
          A new secret starts signing at once. For the next <strong>24 hours</strong> every request carries two signatures, one with the new secret and one with
          the old, so receivers keep verifying while you update them. After that only the new secret signs.
        </p>
      </ConfirmDialog>
    </section>
  )
}
