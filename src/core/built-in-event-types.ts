/** Event types the server itself emits (API.md, Event types): created at start if missing, never deleted. */
export const BUILT_IN_EVENT_TYPES: ReadonlyArray<[string, string]> = [
  ['webhook.test', 'Sent by POST .../endpoints/{id}/test.'],
  ['delivery.failed', 'Operational: a delivery ended failed (to the _operator tenant).'],
  ['endpoint.disabled', 'Operational: an endpoint was disabled (to the _operator tenant).'],
  ['endpoint.recovered', 'Operational: an endpoint succeeded after failures, or its success rate is back above the degraded threshold (to the _operator tenant).'],
  ['endpoint.degraded', "Operational: an endpoint's success rate over HOOKRELAY_DEGRADED_WINDOW fell below HOOKRELAY_DEGRADED_THRESHOLD (to the _operator tenant)."],
  ['request.received', 'Gateway: a request arrived at a route, before it is forwarded.'],
  ['request.success', 'Gateway: the upstream answered 2xx.'],
  ['request.redirect', 'Gateway: the upstream answered 3xx.'],
  ['request.client_error', 'Gateway: the upstream answered 4xx.'],
  ['request.server_error', 'Gateway: the upstream answered 5xx.'],
  ['request.timeout', 'Gateway: the upstream did not answer in time.'],
  ['request.error', 'Gateway: any non-2xx answer or a timeout.'],
  ['request.completed', 'Gateway: every request, when it is done.'],
]

const builtIn = new Set(BUILT_IN_EVENT_TYPES.map(([name]) => name))

export function isBuiltInEventType(name: string): boolean {
  return builtIn.has(name)
}
