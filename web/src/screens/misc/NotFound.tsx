export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>Nothing lives at this address. Use the navigation to find your way.</p>
    </section>
  )
}
