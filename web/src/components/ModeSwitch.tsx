import { useState } from 'preact/hooks'
import { applyMode, savedMode, type Mode } from '../theme'

/** Light, dark, or the system's: a select with a visible label. */
export function ModeSwitch({ initial }: { initial?: Mode }) {
  const [mode, setMode] = useState<Mode>(savedMode(initial))
  return (
    <label class="mode-switch">
      <span>Theme</span>
      <select
        value={mode}
        onChange={(e) => {
          const m = e.currentTarget.value as Mode
          setMode(m)
          applyMode(m)
        }}
      >
        <option value="auto">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  )
}
