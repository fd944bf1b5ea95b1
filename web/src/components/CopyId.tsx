import { CopyButton } from './CopyButton'

/** An id shown in full, selectable, with a copy button. */
export function CopyId({ id }: { id: string }) {
  return (
    <span class="copy-id">
      <code>{id}</code>
      <CopyButton text={id} label={`Copy ${id}`} />
    </span>
  )
}
