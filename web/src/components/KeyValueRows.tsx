/** Headers or query parameters as rows of Name and Value inputs. */
export type Row = { name: string; value: string }

export const rowsOf = (o: Record<string, string> | undefined): Row[] => Object.entries(o ?? {}).map(([name, value]) => ({ name, value }))
export const objectOf = (rows: Row[]): Record<string, string> => Object.fromEntries(rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.value]))

export function KeyValueRows({ id, legend, rows, onChange, error }: { id: string; legend: string; rows: Row[]; onChange: (rows: Row[]) => void; error?: string }) {
  const set = (i: number, r: Partial<Row>) => onChange(rows.map((x, j) => (j === i ? { ...x, ...r } : x)))
  return (
    <fieldset class={`kv-rows${error ? ' invalid' : ''}`}>
      <legend>{legend}</legend>
      {rows.map((r, i) => (
        <div class="kv-row" key={i}>
          <label>
            <span>Name</span>
            <input id={`${id}-name-${i}`} value={r.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
          </label>
          <label>
            <span>Value</span>
            <input id={`${id}-value-${i}`} value={r.value} onInput={(e) => set(i, { value: e.currentTarget.value })} />
          </label>
          <button type="button" class="ghost small" aria-label={`Remove ${legend.toLowerCase()} row ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="ghost small" onClick={() => onChange([...rows, { name: '', value: '' }])}>
        Add {legend.toLowerCase().replace(/s$/, '')}
      </button>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}
