import type { Endpoint, Page } from '../api/types'
import { useApi } from './useApi'

/** The tenant's endpoints by id, each as its name (else its URL): screens show a name, not an id a person has to look up. */
export function useEndpointNames(tenantApi: string): { endpoints: Endpoint[]; names: Record<string, string> } {
  const list = useApi<Page<Endpoint>>(`${tenantApi}/endpoints?limit=250`)
  const endpoints = list.data?.data ?? []
  return { endpoints, names: Object.fromEntries(endpoints.map((e) => [e.id, e.name || e.url])) }
}
