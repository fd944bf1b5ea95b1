import type { Client } from './client.js'

/** `hookrelay send --tenant T TYPE JSON`: publishes one event and prints what the server answered. */
export async function send(client: Client, tenant: string, type: string, json: string, out: (line: string) => void): Promise<void> {
  let payload: unknown
  try {
    payload = JSON.parse(json)
  } catch {
    throw new Error(`the payload is not valid JSON: ${json}`)
  }
  const event = await client.call<{ id: string; type: string; deliveryCount: number }>('POST', `/v1/tenants/${encodeURIComponent(tenant)}/events`, { type, payload })
  out(`${event.id} ${event.type}: ${event.deliveryCount} ${event.deliveryCount === 1 ? 'delivery' : 'deliveries'}`)
}
