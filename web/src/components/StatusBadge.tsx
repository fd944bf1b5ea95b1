/** A delivery's or request's status as a word with a colour (never the colour alone). */
export function StatusBadge({ status }: { status: string }) {
  const tone =
    status === 'succeeded' || status === 'accepted' || status === 'enabled' || status === 'active'
      ? 'ok'
      : status === 'failed' || status === 'verification_failed' || status === 'invalid' || status === 'disabled' || status === 'revoked'
        ? 'bad'
        : 'wait'
  return <span class={`badge ${tone}`}>{status.replace('_', ' ')}</span>
}

export function HttpStatus({ status }: { status: number | null | undefined }) {
  if (status === null || status === undefined) return <span class="muted">none</span>
  return <span class={`badge ${status >= 200 && status < 300 ? 'ok' : 'bad'}`}>{status}</span>
}
