import { useRef } from 'preact/hooks'
import type { EventType } from '../../api/types'
import { described } from '../../components/Field'
import { insertion, templateParameters } from './template-parameters'

/**
 * The Liquid template with the chosen event type's available parameters: clicking one inserts it
 * at the cursor. The preview beside it (EndpointPreview) shows the exact request it makes.
 */
export function TemplateEditor({ value, onChange, format, types, eventType, onEventType, error }: {
  value: string
  onChange: (v: string) => void
  format: 'json' | 'text'
  types: EventType[]
  eventType: string
  onEventType: (t: string) => void
  error?: string
}) {
  const ref = useRef<HTMLTextAreaElement>(null)
  const type = types.find((t) => t.name === eventType)
  const params = templateParameters(type)
  const insert = (p: string) => {
    const el = ref.current
    const text = insertion(p, format)
    const start = el?.selectionStart ?? value.length
    const end = el?.selectionEnd ?? value.length
    const next = value.slice(0, start) + text + value.slice(end)
    onChange(next)
    requestAnimationFrame(() => {
      el?.focus()
      el?.setSelectionRange(start + text.length, start + text.length)
    })
  }
  return (
    <div class="template-editor">
      <div class="field">
        <label for="preview-type">Event type for parameters and preview</label>
        <select id="preview-type" value={eventType} onChange={(e) => onEventType(e.currentTarget.value)}>
          {types.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      <div class="params" role="group" aria-labelledby="params-label">
        <p id="params-label" class="label">
          Available parameters{type ? (type.schema ? ' (from the schema)' : type.example ? ' (from the example)' : '') : ''}
        </p>
        <ul class="param-list">
          {params.map((p) => (
            <li key={p}>
              <button type="button" class="param" aria-label={`Insert ${p}`} onClick={() => insert(p)}>
                {p}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div class={`field${error ? ' invalid' : ''}`}>
        <label for="template">Template</label>
        <textarea
          ref={ref}
          rows={8}
          spellcheck={false}
          class="mono"
          value={value}
          placeholder={format === 'json' ? '{"text": {{ event.type | json }}}' : 'New {{ event.type }}'}
          onInput={(e) => onChange(e.currentTarget.value)}
          {...described('template', true, error)}
        />
        <p class="hint" id="template-hint">
          Liquid over <code>event</code>, <code>tenant</code> and <code>endpoint</code>. Empty: the standard body{' '}
          <code>{'{"id", "type", "timestamp", "data"}'}</code>. Use <code>| json</code> to put a value into JSON.
        </p>
        {error ? (
          <p class="field-error" id="template-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    </div>
  )
}
