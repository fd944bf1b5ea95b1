import { useState } from 'preact/hooks'
import { ApiError } from '../../api/client'
import type { Source, VerificationType } from '../../api/types'
import { described, Field } from '../../components/Field'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'

const TYPES: VerificationType[] = ['none', 'hmac', 'standard-webhooks', 'stripe', 'github', 'shopify', 'slack']

/** Create or edit an inbound source with every verification option, paths, idempotency and mappings. */
export function SourceForm({ source, onSave, submitLabel }: { source?: Source; onSave: (body: Record<string, unknown>) => Promise<void>; submitLabel: string }) {
  const v = source?.verification
  const [name, setName] = useState(source?.name ?? '')
  const [type, setType] = useState<VerificationType>(v?.type ?? 'standard-webhooks')
  const [secret, setSecret] = useState('')
  const [header, setHeader] = useState(v?.header ?? '')
  const [encoding, setEncoding] = useState(v?.encoding ?? 'hex')
  const [prefix, setPrefix] = useState(v?.prefix ?? '')
  const [tolerance, setTolerance] = useState(String(v?.toleranceSeconds ?? 300))
  const [eventTypePath, setEventTypePath] = useState(source?.eventTypePath ?? 'event_type')
  const [timestampPath, setTimestampPath] = useState(source?.timestampPath ?? '')
  const [keyPath, setKeyPath] = useState(source?.idempotency?.keyPath ?? '')
  const [windowSeconds, setWindowSeconds] = useState(String(source?.idempotency?.windowSeconds ?? 86400))
  const [mappings, setMappings] = useState(JSON.stringify(source?.mappings ?? [{ eventType: '*', action: 'publish' }], null, 2))
  const save = useAction(async () => {
    let maps: unknown
    try {
      maps = JSON.parse(mappings)
    } catch {
      throw new ApiError(422, 'invalid', 'Mappings must be JSON.', [{ path: '/mappings', message: 'must be a JSON array' }])
    }
    const verification: Record<string, unknown> = { type }
    if (type !== 'none' && (secret !== '' || !source)) verification.secret = secret
    if (type === 'hmac') {
      if (header) verification.header = header
      verification.encoding = encoding
      verification.prefix = prefix
    }
    if (type === 'standard-webhooks' || type === 'stripe' || type === 'slack') verification.toleranceSeconds = Number(tolerance)
    await onSave({
      name,
      verification,
      eventTypePath,
      timestampPath: timestampPath.trim() === '' ? null : timestampPath,
      idempotency: keyPath.trim() === '' ? null : { keyPath, windowSeconds: Number(windowSeconds) },
      mappings: maps,
    })
  })
  const err = (p: string) => save.error?.errors.find((e) => e.path === p || e.path.startsWith(`${p}/`))?.message
  return (
    <form class="card" aria-labelledby="src-form-title" onSubmit={(e) => (e.preventDefault(), void save.run())}>
      <h2 id="src-form-title">{source ? 'Edit source' : 'Create source'}</h2>
      <Field id="src-name" label="Name" error={err('/name')}>
        <input required value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('src-name', false, err('/name'))} />
      </Field>
      <fieldset>
        <legend>Verification</legend>
        <div class="row">
          <Field id="src-type" label="Verification type" error={err('/verification/type')}>
            <select value={type} onChange={(e) => setType(e.currentTarget.value as VerificationType)} {...described('src-type', false, err('/verification/type'))}>
              {TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </Field>
          {type !== 'none' ? (
            <Field id="src-secret" label="Secret" error={err('/verification/secret')} hint={source ? `Stored: ${v?.secret ?? 'none'}. Leave empty to keep it.` : 'As the sending service shows it.'}>
              <input type="password" autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} {...described('src-secret', true, err('/verification/secret'))} />
            </Field>
          ) : null}
        </div>
        {type === 'hmac' ? (
          <div class="row">
            <Field id="src-header" label="Header" error={err('/verification/header')} hint="Default X-Hookrelay-Signature.">
              <input value={header} onInput={(e) => setHeader(e.currentTarget.value)} {...described('src-header', true, err('/verification/header'))} />
            </Field>
            <Field id="src-encoding" label="Encoding" error={err('/verification/encoding')}>
              <select value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)} {...described('src-encoding', false, err('/verification/encoding'))}>
                <option>hex</option>
                <option>base64</option>
              </select>
            </Field>
            <Field id="src-prefix" label="Prefix" error={err('/verification/prefix')} hint="Text before the signature, e.g. sha256=.">
              <input value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} {...described('src-prefix', true, err('/verification/prefix'))} />
            </Field>
          </div>
        ) : null}
        {type === 'standard-webhooks' || type === 'stripe' || type === 'slack' ? (
          <Field id="src-tolerance" label="Tolerance seconds" error={err('/verification/toleranceSeconds')} hint="How far the signed timestamp may be from now. Default 300.">
            <input inputMode="numeric" value={tolerance} onInput={(e) => setTolerance(e.currentTarget.value)} {...described('src-tolerance', true, err('/verification/toleranceSeconds'))} />
          </Field>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Reading the body</legend>
        <div class="row">
          <Field id="src-etp" label="Event type path" error={err('/eventTypePath')} hint="A dot path, or $headers.name.">
            <input value={eventTypePath} onInput={(e) => setEventTypePath(e.currentTarget.value)} {...described('src-etp', true, err('/eventTypePath'))} />
          </Field>
          <Field id="src-tsp" label="Timestamp path" error={err('/timestampPath')} hint="Optional: becomes the event's occurredAt.">
            <input value={timestampPath} onInput={(e) => setTimestampPath(e.currentTarget.value)} {...described('src-tsp', true, err('/timestampPath'))} />
          </Field>
        </div>
        <div class="row">
          <Field id="src-key" label="Idempotency key path" error={err('/idempotency')} hint="Optional: repeats within the window are answered as duplicates.">
            <input value={keyPath} onInput={(e) => setKeyPath(e.currentTarget.value)} {...described('src-key', true, err('/idempotency'))} />
          </Field>
          <Field id="src-window" label="Window seconds">
            <input inputMode="numeric" value={windowSeconds} onInput={(e) => setWindowSeconds(e.currentTarget.value)} id="src-window" />
          </Field>
        </div>
      </fieldset>
      <Field
        id="src-mappings"
        label="Mappings"
        error={err('/mappings')}
        hint='JSON: [{"eventType": "invoice.paid", "action": "publish", "publishAs": "billing.paid", "fields": {"invoiceId": "data.object.id"}, "required": ["invoiceId"]}]'
      >
        <textarea rows={8} class="mono" spellcheck={false} value={mappings} onInput={(e) => setMappings(e.currentTarget.value)} {...described('src-mappings', true, err('/mappings'))} />
      </Field>
      <ProblemNote error={save.error} shown={['/name', '/verification', '/eventTypePath', '/timestampPath', '/idempotency', '/mappings']} />
      <button type="submit" class="primary" disabled={save.busy}>
        {submitLabel}
      </button>
    </form>
  )
}
