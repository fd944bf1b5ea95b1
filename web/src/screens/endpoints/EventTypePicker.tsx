import { useState } from 'preact/hooks'
import type { EventType } from '../../api/types'

/** Event types picked from the catalog, plus patterns typed by hand (invoice.*). Empty: every type. */
export function EventTypePicker({ types, value, onChange, error }: { types: EventType[]; value: string[]; onChange: (v: string[]) => void; error?: string }) {
  const [pattern, setPattern] = useState('')
  const catalog = new Set(types.map((t) => t.name))
  const extra = value.filter((v) => !catalog.has(v))
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((v) => v !== name))
  return (
    <fieldset class={`event-types${error ? ' invalid' : ''}`} aria-describedby="eventTypes-hint">
      <legend>Event types</legend>
      <p class="hint" id="eventTypes-hint">
        None picked: every type. A pattern's <code>*</code> matches one dot segment, a trailing <code>*</code> one or more.
      </p>
      <ul class="type-checks">
        {types.map((t) => (
          <li key={t.name}>
            <label class="check">
              <input type="checkbox" checked={value.includes(t.name)} onChange={(e) => toggle(t.name, e.currentTarget.checked)} /> <code>{t.name}</code>
            </label>
          </li>
        ))}
        {extra.map((p) => (
          <li key={p}>
            <label class="check">
              <input type="checkbox" checked onChange={() => toggle(p, false)} /> <code>{p}</code>
            </label>
          </li>
        ))}
      </ul>
      <div class="row">
        <label class="inline">
          <span>Pattern</span>
          <input value={pattern} placeholder="invoice.*" onInput={(e) => setPattern(e.currentTarget.value)} />
        </label>
        <button
          type="button"
          class="ghost small"
          onClick={() => {
            if (pattern.trim() && !value.includes(pattern.trim())) onChange([...value, pattern.trim()])
            setPattern('')
          }}
        >
          Add pattern
        </button>
      </div>
      {error ? (
        <p class="field-error" id="eventTypes-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}
