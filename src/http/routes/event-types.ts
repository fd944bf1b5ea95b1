import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { isBuiltInEventType } from '../../core/built-in-event-types.js'
import { AppError, notFound } from '../../errors.js'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { decodeCursor, page, presentEventType } from '../present.js'
import { Dict, EventTypeName, EventTypeOut, listOf, ListQuery, NoContent, Text } from '../schemas.js'

const JsonObject = Dict(Type.Unknown())
const NameParams = Type.Object({ name: Type.String() })

const op = operations('event-types')

export const eventTypeRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, schemas }) => {
  app.post(
    '/v1/event-types',
    {
      schema: {
        ...op('createEventType', 'Create an event type', "Adds a type to the catalog. Names match `[a-z0-9_-]+(\\.[a-z0-9_-]+)*`. With a JSON `schema`, events of this type whose payload does not validate are refused with 422. Admin token only.", ['event_type_exists']),
        body: Type.Object(
          {
            name: EventTypeName,
            description: Type.Optional(Text({ maxLength: 1024 })),
            schema: Type.Optional(Type.Union([JsonObject, Type.Null()])),
            example: Type.Optional(Type.Union([JsonObject, Type.Null()])),
          },
          {
            additionalProperties: false,
            examples: [
              {
                name: 'invoice.paid',
                description: 'An invoice was paid in full.',
                schema: { type: 'object', required: ['invoiceId'], properties: { invoiceId: { type: 'string' }, amount: { type: 'integer' } } },
                example: { invoiceId: 'in_123', amount: 4200 },
              },
            ],
          },
        ),
        response: { 201: EventTypeOut },
      },
    },
    async (req, reply) => {
      if (req.body.schema) schemas.checkSchema(req.body.schema)
      const now = Date.now()
      const t = {
        name: req.body.name,
        description: req.body.description ?? '',
        schema: req.body.schema ?? null,
        example: req.body.example ?? null,
        createdAt: now,
        updatedAt: now,
      }
      if (!(await store.createEventType(t))) throw new AppError('event_type_exists', `Event type ${t.name} already exists.`)
      schemas.invalidate(t.name)
      return reply.code(201).send(presentEventType(t))
    },
  )

  app.get('/v1/event-types', { config: { access: 'anyone' }, schema: { ...op('listEventTypes', 'List event types', 'The catalog, built-in types included.'), querystring: ListQuery, response: { 200: listOf(EventTypeOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await store.listEventTypes({ limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, presentEventType)
  })

  app.get('/v1/event-types/:name', { config: { access: 'anyone' }, schema: { ...op('getEventType', 'Get an event type', 'One type with its description, schema and example.'), params: NameParams, response: { 200: EventTypeOut } } }, async (req) => {
    const t = await store.getEventType(req.params.name)
    if (!t) throw notFound(`Event type ${req.params.name}`)
    return presentEventType(t)
  })

  app.patch(
    '/v1/event-types/:name',
    {
      schema: {
        ...op('updateEventType', 'Update an event type', 'Changes the description, schema or example; fields left out keep their value. Admin token only.'),
        params: NameParams,
        body: Type.Object(
          {
            description: Type.Optional(Text({ maxLength: 1024 })),
            schema: Type.Optional(Type.Union([JsonObject, Type.Null()])),
            example: Type.Optional(Type.Union([JsonObject, Type.Null()])),
          },
          { additionalProperties: false, examples: [{ description: 'An invoice was paid, in full or in part.' }] },
        ),
        response: { 200: EventTypeOut },
      },
    },
    async (req) => {
      if (req.body?.schema) schemas.checkSchema(req.body.schema)
      const t = await store.updateEventType(req.params.name, req.body ?? {}, Date.now())
      if (!t) throw notFound(`Event type ${req.params.name}`)
      schemas.invalidate(req.params.name)
      return presentEventType(t)
    },
  )

  app.delete('/v1/event-types/:name', { schema: { ...op('deleteEventType', 'Delete an event type', 'Removes a type from the catalog; events already published keep it. Built-in types cannot be deleted (409). Admin token only.', ['event_type_built_in']), params: NameParams, response: { 204: NoContent } } }, async (req, reply) => {
    if (isBuiltInEventType(req.params.name)) throw new AppError('event_type_built_in', `${req.params.name} is built in: the server emits it, so it stays.`)
    if (!(await store.deleteEventType(req.params.name))) throw notFound(`Event type ${req.params.name}`)
    schemas.invalidate(req.params.name)
    return reply.code(204).send(null)
  })
}
