/**
 * Friendly names for the API's request and response shapes. Every one is derived from the types
 * openapi-typescript generates from the server's /openapi.json at build time (generated/openapi.ts),
 * so a field the server adds or renames reaches these types with the next build.
 */
import type { components, operations } from './generated/openapi.js'

export type OperationId = keyof operations

type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : never
type Responses<O extends OperationId> = operations[O]['responses']

/** The JSON body an operation takes. */
export type RequestBody<O extends OperationId> = operations[O] extends { requestBody?: infer R } ? JsonContent<NonNullable<R>> : never
/** The JSON body of an operation's successful answer (200, 201 or 202). */
export type ResponseBody<O extends OperationId> = JsonContent<Responses<O>[Extract<keyof Responses<O>, 200 | 201 | 202>]>
/** An operation's query parameters. */
export type QueryParams<O extends OperationId> = NonNullable<operations[O]['parameters']['query']>
/** The item type of a list operation (`{data: Item[], nextCursor}`). */
export type ListItem<O extends OperationId> = ResponseBody<O> extends { data: (infer I)[] } ? I : never
/** A list's filters and page size; the cursor is followed by the iterator. */
export type ListQuery<O extends OperationId> = Omit<QueryParams<O>, 'cursor'>

/** An RFC 9457 problem document, as every error response carries. */
export type Problem = components['schemas']['Problem']

export type Tenant = ResponseBody<'getTenant'>
export type TenantCreate = RequestBody<'createTenant'>
export type TenantUpdate = RequestBody<'updateTenant'>
export type ApiKey = ListItem<'listApiKeys'>
/** An API key as created: `key` is shown only this once. */
export type ApiKeyCreated = ResponseBody<'createApiKey'>
export type ApiKeyCreate = RequestBody<'createApiKey'>
export type PortalSession = ListItem<'listPortalSessions'>
export type PortalSessionCreated = ResponseBody<'createPortalSession'>
export type PortalSessionCreate = RequestBody<'createPortalSession'>
export type Whoami = ResponseBody<'whoami'>
export type EventType = ResponseBody<'getEventType'>
export type EventTypeCreate = RequestBody<'createEventType'>
export type EventTypeUpdate = RequestBody<'updateEventType'>
export type Endpoint = ResponseBody<'getEndpoint'>
export type EndpointCreate = RequestBody<'createEndpoint'>
export type EndpointUpdate = RequestBody<'updateEndpoint'>
export type EndpointTest = RequestBody<'testEndpoint'>
export type EndpointStats = ResponseBody<'getEndpointStats'>
export type EndpointRecover = RequestBody<'recoverEndpoint'>
/** What `endpoints.preview` takes: `{endpoint: <create's fields>, eventType?, payload?}`. */
export type EndpointPreviewRequest = RequestBody<'previewEndpointRequest'>
/** The request a delivery would send: `{method, url, headers, body}`, body as sent. */
export type PreviewedRequest = ResponseBody<'previewEndpointRequest'>['request']
/** `since`, `until` (ISO 8601) and `bucket` (`1m`, `5m`, `1h`, `1d`) of a stats series. */
export type StatsSeriesQuery = QueryParams<'getEndpointStatsSeries'>
/** `{bucket, data: [{start, attempts, succeeded, failed, avgResponseMs, p95ResponseMs}]}`, one item per bucket. */
export type StatsSeries = ResponseBody<'getEndpointStatsSeries'>
export type Attempt = ResponseBody<'testEndpoint'>
export type Event = ListItem<'listEvents'>
/** An event with its deliveries (`events.get`). */
export type EventDetail = ResponseBody<'getEvent'>
export type PublishRequest = RequestBody<'publishEvent'>
export type Delivery = ListItem<'listDeliveries'>
/** A delivery with its attempts (`deliveries.get`). */
export type DeliveryDetail = ResponseBody<'getDelivery'>
/** One attempt as `deliveries.stream` yields it (the `data` of the stream's `attempt` events). */
export type AttemptNotice = components['schemas']['AttemptNotice']
/** The stream's filters: `endpointId`. */
export type AttemptStreamQuery = QueryParams<'streamAttempts'>
export type Source = ResponseBody<'getSource'>
export type SourceCreate = RequestBody<'createSource'>
export type SourceUpdate = RequestBody<'updateSource'>
export type SourceLog = ListItem<'listSourceLogs'>
export type Route = ResponseBody<'getRoute'>
export type RouteCreate = RequestBody<'createRoute'>
export type RouteUpdate = RequestBody<'updateRoute'>
