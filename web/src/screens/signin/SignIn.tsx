import { useState } from 'preact/hooks'
import { ApiError } from '../../api/client'
import { resolveSession, type Session } from '../../api/session'
import { ModeSwitch } from '../../components/ModeSwitch'

/** The dashboard's sign-in: the admin token or a tenant API key, kept in this tab's sessionStorage only. */
export function SignIn({ note, onSignedIn }: { note?: string; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const s = await resolveSession('dashboard', token.trim())
      if (s === null) setError('That token was not accepted: check it and try again.')
      else onSignedIn(s)
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="signin" id="main">
      <form onSubmit={(e) => void submit(e)} class="card">
        <h1>
          <span class="mark" aria-hidden="true" /> Sign in to Hookrelay
        </h1>
        {note ? <p class="note">{note}</p> : null}
        <div class="field">
          <label for="token">Token</label>
          <input id="token" type="password" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="token-hint" />
          <p class="hint" id="token-hint">
            The admin token (printed when the server first started) or a tenant API key. It stays in this browser tab only.
          </p>
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <ModeSwitch />
      </form>
    </main>
  )
}
