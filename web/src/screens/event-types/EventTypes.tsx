import { useState } from 'preact/hooks'
import { ApiError, del, enc, patch, post } from '../../api/client'
import type { EventType, Page } from '../../api/types'
import { CodeBlock, json } from '../../components/CodeBlock'
import { described, Field } from '../../components/Field'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useSession } from '../../session-context'

/** The event-type catalog: name, description, schema, example. Everyone reads it; the admin edits it. */
export function EventTypes() {
  const { session } = useSession()
  const list = useApi<Page<EventType>>('/v1/event-types?limit=250')
  const [editing, setEditing] = useState<EventType | 'new' | null>(null)
  const admin = session.kind === 'admin'
  return (
    <section>
      <div class="page-head">
        <h1>Event types</h1>
        {admin ? (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            Create event type
          </button>
        ) : null}
      </div>
      {editing !== null ? (
        <EventTypeEditor
          type={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null)
            list.reload()
          }}
        />
      ) : null}
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : (
        <ul class="catalog">
          {list.data.data.map((t) => (
            <li key={t.name} class="card">
              <div class="card-head">
                <h2>
                  <code>{t.name}</code>
                </h2>
                {admin ? (
                  <button type="button" class="ghost small" aria-label={`Edit ${t.name}`} onClick={() => setEditing(t)}>
                    Edit
                  </button>
                ) : null}
              </div>
              <p>{t.description || <span class="muted">No description.</span>}</p>
              {t.schema ? (
                <details>
                  <summary>Schema</summary>
                  <CodeBlock text={json(t.schema)} label={`${t.name} schema`} />
                </details>
              ) : null}
              {t.example ? (
                <details>
                  <summary>Example</summary>
                  <CodeBlock text={json(t.example)} label={`${t.name} example`} />
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function parseJson(text: string, path: string): Record<string, unknown> | null {
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new ApiError(422, 'invalid_json', 'Not JSON.', [{ path, message: 'must be JSON' }])
  }
}

function EventTypeEditor({ type, onDone }: { type: EventType | null; onDone: () => void }) {
  const [name, setName] = useState(type?.name ?? '')
  const [description, setDescription] = useState(type?.description ?? '')
  const [schema, setSchema] = useState(type?.schema ? json(type.schema) : '')
  const [example, setExample] = useState(type?.example ? json(type.example) : '')
  const save = useAction(async () => {
    const body = { description, schema: parseJson(schema, '/schema'), example: parseJson(example, '/example') }
    if (type) await patch(`/v1/event-types/${enc(type.name)}`, body)
    else await post('/v1/event-types', { name, ...body })
    onDone()
  })
  const remove = useAction(async () => {
    await del(`/v1/event-types/${enc(type!.name)}`)
    onDone()
  })
  const err = (p: string) => save.error?.errors.find((e) => e.path === p || e.path.startsWith(`${p}/`))?.message
  return (
    <form class="card" onSubmit={(e) => (e.preventDefault(), void save.run())} aria-label={type ? `Edit ${type.name}` : 'Create event type'}>
      <h2>{type ? `Edit ${type.name}` : 'Create event type'}</h2>
      {type ? null : (
        <Field id="et-name" label="Name" error={err('/name')} hint="Dot-separated lowercase words, e.g. invoice.paid.">
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} {...described('et-name', true, err('/name'))} />
        </Field>
      )}
      <Field id="et-description" label="Description" error={err('/description')}>
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} {...described('et-description', false, err('/description'))} />
      </Field>
      <Field id="et-schema" label="Schema" error={err('/schema')} hint="A JSON Schema; events whose payload does not validate are refused. Empty: none.">
        <textarea rows={6} class="mono" value={schema} onInput={(e) => setSchema(e.currentTarget.value)} {...described('et-schema', true, err('/schema'))} />
      </Field>
      <Field id="et-example" label="Example" error={err('/example')} hint="A payload, used for test sends, previews and template parameters.">
        <textarea rows={6} class="mono" value={example} onInput={(e) => setExample(e.currentTarget.value)} {...described('et-example', true, err('/example'))} />
      </Field>
      <ProblemNote error={save.error ?? remove.error} shown={['/name', '/description', '/schema', '/example']} />
      <div class="actions">
        {type ? (
          <button type="button" class="ghost danger-text" onClick={() => void remove.run()}>
            Delete
          </button>
        ) : null}
        <button type="button" class="ghost" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={save.busy}>
          {type ? 'Save' : 'Create'}
        </button>
      </div>
    </form>
  )
}
