/** The portal without a usable session: a clear page, not a broken app. */
export function SessionEnded({ why }: { why: 'revoked' | 'missing' }) {
  return (
    <main class="ended" id="main">
      <h1>{why === 'missing' ? 'This link is incomplete' : 'This session has ended'}</h1>
      <p>
        {why === 'missing'
          ? 'The portal link carries its access token after a #. Open the full link you were given.'
          : 'It expired or was revoked. Open the webhooks page again from the application that sent you here to get a new link.'}
      </p>
    </main>
  )
}
