/**
 * Samples of a Prometheus text exposition (`GET /metrics`): `name` alone, or `name{...}` whose
 * labels include every one given, e.g. `sampleOf(text, 'hookrelay_deliveries_total', { outcome:
 * 'succeeded' })`. Undefined when the exposition has no such sample.
 */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const line = text.split('\n').find((l) => {
    if (l.startsWith(`${name} `)) return wanted.length === 0
    if (!l.startsWith(`${name}{`)) return false
    const set = l.slice(name.length + 1, l.indexOf('}'))
    return wanted.every((w) => set.split(',').includes(w))
  })
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** A server's metrics, read now. */
export async function readMetrics(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text()
}
