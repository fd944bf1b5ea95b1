/** Cursor paging: the first page, or the next one after the cursor the list gave. */
export function Pager({ cursor, next, onFirst, onNext }: { cursor: string | undefined; next: string | null | undefined; onFirst: () => void; onNext: (c: string) => void }) {
  if (!cursor && !next) return null
  return (
    <nav class="pager" aria-label="Pages">
      {cursor ? (
        <button type="button" class="ghost" onClick={onFirst}>
          First page
        </button>
      ) : null}
      {next ? (
        <button type="button" class="ghost" onClick={() => onNext(next)}>
          Next page
        </button>
      ) : null}
    </nav>
  )
}
