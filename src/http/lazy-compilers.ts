import { AjvCompiler } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'

/**
 * Fastify's own validator and serializer compilers, deferred to each route's first request.
 * Compiling every route's schemas up front took ~80 ms of every start, while publishes sent
 * during a start wait for the listening socket; now a start compiles nothing, and the first
 * request of each route pays its own few milliseconds once.
 */
export function lazyCompilers(ajvCustomOptions: Record<string, unknown>): {
  validatorCompiler: FastifySchemaCompiler<unknown>
  serializerCompiler: FastifySerializerCompiler<unknown>
} {
  const buildValidator = AjvCompiler()({}, { customOptions: ajvCustomOptions, plugins: [] }) as (route: unknown) => Validate
  const buildSerializer = SerializerSelector()({}, {}) as (route: unknown) => (data: unknown) => string
  return {
    validatorCompiler: (route) => {
      let validate: Validate | undefined
      // Fastify reads `.errors` off the function it was given, as Ajv's validators carry them.
      const lazy: Validate = (data) => {
        validate ??= buildValidator(route)
        const ok = validate(data)
        lazy.errors = validate.errors
        return ok
      }
      return lazy
    },
    serializerCompiler: (route) => {
      let serialize: ((data: unknown) => string) | undefined
      return (data) => (serialize ??= buildSerializer(route))(data)
    },
  }
}

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null }
