/**
 * Every operation of the API has its SDK call (API.md, SDK): the map below must name one for each
 * operationId the generated types know, or `npm run typecheck` fails (a route added to the server
 * without its call), and each call it names must exist on the client.
 */
import { describe, expect, it } from 'vitest'
import { Hookrelay, type OperationId } from '../src/index.js'

/** Not for API clients: the server's own pages and probes, and what other services send to sources. */
type NotInTheSdk = 'getRoot' | 'getHealth' | 'getMetrics' | 'receiveWebhook' | 'receiveTrackCall'

const CALLS = {
  whoami: 'whoami',
  createTenant: 'tenants.create',
  listTenants: 'tenants.list',
  getTenant: 'tenants.get',
  updateTenant: 'tenants.update',
  deleteTenant: 'tenants.delete',
  getTenantStatsSeries: 'tenants.statsSeries',
  createApiKey: 'apiKeys.create',
  listApiKeys: 'apiKeys.list',
  deleteApiKey: 'apiKeys.delete',
  createPortalSession: 'portalSessions.create',
  listPortalSessions: 'portalSessions.list',
  revokePortalSession: 'portalSessions.revoke',
  createEventType: 'eventTypes.create',
  listEventTypes: 'eventTypes.list',
  getEventType: 'eventTypes.get',
  updateEventType: 'eventTypes.update',
  deleteEventType: 'eventTypes.delete',
  createEndpoint: 'endpoints.create',
  listEndpoints: 'endpoints.list',
  previewEndpointRequest: 'endpoints.preview',
  getEndpoint: 'endpoints.get',
  updateEndpoint: 'endpoints.update',
  deleteEndpoint: 'endpoints.delete',
  getEndpointSecret: 'endpoints.getSecret',
  rotateEndpointSecret: 'endpoints.rotateSecret',
  testEndpoint: 'endpoints.test',
  getEndpointStats: 'endpoints.stats',
  getEndpointStatsSeries: 'endpoints.statsSeries',
  recoverEndpoint: 'endpoints.recover',
  publishEvent: 'events.publish',
  listEvents: 'events.list',
  getEvent: 'events.get',
  listDeliveries: 'deliveries.list',
  getDelivery: 'deliveries.get',
  retryDelivery: 'deliveries.retry',
  streamAttempts: 'deliveries.stream',
  createSource: 'sources.create',
  listSources: 'sources.list',
  getSource: 'sources.get',
  updateSource: 'sources.update',
  deleteSource: 'sources.delete',
  getSourceSecret: 'sources.getSecret',
  rotateSourceSecret: 'sources.rotateSecret',
  listSourceLogs: 'sources.logs',
  createRoute: 'routes.create',
  listRoutes: 'routes.list',
  getRoute: 'routes.get',
  updateRoute: 'routes.update',
  deleteRoute: 'routes.delete',
} satisfies Record<Exclude<OperationId, NotInTheSdk>, string>

describe('SDK coverage of the API', () => {
  it('has a call for every operation', () => {
    const hr = new Hookrelay({ baseUrl: 'http://127.0.0.1:1', token: 'unused' })
    for (const [operationId, call] of Object.entries(CALLS)) {
      const target = call.split('.').reduce<unknown>((on, name) => (on as Record<string, unknown>)[name], hr)
      expect(typeof target, `${operationId} -> hr.${call}`).toBe('function')
    }
  })
})
