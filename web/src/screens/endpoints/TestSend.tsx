import { useState } from 'preact/hooks'
import { enc, post } from '../../api/client'
import { can } from '../../api/session'
import type { Attempt, EventType } from '../../api/types'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'
import { useSession } from '../../session-context'
import { AttemptView } from '../deliveries/AttemptView'

/** Send a test event now (whatever the filters): the type's example, editable; the attempt shown in place. */
export function TestSend({ tenantApi, endpointId, types, onSent }: { tenantApi: string; endpointId: string; types: EventType[]; onSent: () => void }) {
  const { session } = useSession()
  const example = (name: string) => JSON.stringify(types.find((t) => t.name === name)?.example ?? { message: 'Hello from Hookrelay' }, null, 2)
  const [type, setType] = useState('webhook.test')
  const [payload, setPayload] = useState(example('webhook.test'))
  const [parseError, setParseError] = useState<string | null>(null)
  const [attempt, setAttempt] = useState<Attempt | null>(null)
  const send = useAction(async () => {
    let body: unknown
    try {
      body = JSON.parse(payload)
      setParseError(null)
    } catch {
      setParseError('The payload must be JSON.')
      return
    }
    setAttempt(await post<Attempt>(`${tenantApi}/endpoints/${enc(endpointId)}/test`, { eventType: type, payload: body }))
    onSent()
  })
  if (!can(session, 'deliveries.retry')) return null
  return (
    <section class="card" aria-labelledby="test-title">
      <h2 id="test-title">Test send</h2>
      <div class="field">
        <label for="test-type">Event type</label>
        <select
          id="test-type"
          value={type}
          onChange={(e) => {
            setType(e.currentTarget.value)
            setPayload(example(e.currentTarget.value))
          }}
        >
          {types.map((t) => (
            <option key={t.name}>{t.name}</option>
          ))}
        </select>
      </div>
      <div class={`field${parseError ? ' invalid' : ''}`}>
        <label for="test-payload">Payload</label>
        <textarea id="test-payload" rows={6} class="mono" spellcheck={false} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        {parseError ? (
          <p class="field-error" role="alert">
            {parseError}
          </p>
        ) : null}
      </div>
      <button type="button" class="primary" disabled={send.busy} onClick={() => void send.run()}>
        {send.busy ? 'Sending…' : 'Send test'}
      </button>
      <ProblemNote error={send.error} />
      {attempt ? (
        <div class="test-result" aria-live="polite">
          <h3>Result</h3>
          <AttemptView attempt={attempt} />
        </div>
      ) : null}
    </section>
  )
}
