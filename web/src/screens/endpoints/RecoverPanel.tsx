import { useState } from 'preact/hooks'
import { enc, post } from '../../api/client'
import { can } from '../../api/session'
import { described } from '../../components/Field'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'
import { useSession } from '../../session-context'

const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)

/** "Recover failed since…": first a dry run that counts, then the re-queue. */
export function RecoverPanel({ tenantApi, endpointId, onRecovered }: { tenantApi: string; endpointId: string; onRecovered: () => void }) {
  const { session } = useSession()
  const [since, setSince] = useState(localInput(new Date(Date.now() - 86_400_000)))
  const [counted, setCounted] = useState<number | null>(null)
  const [done, setDone] = useState<number | null>(null)
  const path = `${tenantApi}/endpoints/${enc(endpointId)}/recover`
  const iso = () => new Date(since).toISOString()
  const count = useAction(async () => {
    setDone(null)
    setCounted((await post<{ count: number }>(path, { since: iso(), dryRun: true })).count)
  })
  const recover = useAction(async () => {
    setDone((await post<{ count: number }>(path, { since: iso() })).count)
    setCounted(null)
    onRecovered()
  })
  if (!can(session, 'deliveries.retry')) return null
  return (
    <section class="card" aria-labelledby="recover-title">
      <h2 id="recover-title">Recover failed deliveries</h2>
      <div class="row">
        <div class="field">
          <label for="recover-since">Since</label>
          <input
            type="datetime-local"
            value={since}
            onInput={(e) => {
              setSince(e.currentTarget.value)
              setCounted(null)
            }}
            {...described('recover-since', true)}
          />
          <p class="hint" id="recover-since-hint">
            Your local time.
          </p>
        </div>
      </div>
      <div class="actions start">
        <button type="button" onClick={() => void count.run()} disabled={count.busy}>
          Count failed
        </button>
        {counted !== null ? (
          <button type="button" class="primary" disabled={counted === 0 || recover.busy} onClick={() => void recover.run()}>
            Recover {counted}
          </button>
        ) : null}
      </div>
      <p aria-live="polite">
        {counted !== null ? `${counted} failed ${counted === 1 ? 'delivery' : 'deliveries'} since then would be sent again.` : null}
        {done !== null ? `${done} ${done === 1 ? 'delivery' : 'deliveries'} re-queued.` : null}
      </p>
      <ProblemNote error={count.error ?? recover.error} />
    </section>
  )
}
