import { useState } from 'preact/hooks'

/** Copies `text`; says so for a moment. Named by its verb and what it copies. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone(true)
      setTimeout(() => setDone(false), 1500)
    } catch {
      window.prompt('Copy this:', text)
    }
  }
  return (
    <button type="button" class="small ghost" aria-label={label} onClick={() => void copy()}>
      {done ? 'Copied' : 'Copy'}
    </button>
  )
}
