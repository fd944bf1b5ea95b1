import { afterAll } from 'vitest'
import { dropTestDatabases } from './postgres.js'

// Databases made for the integration tests of a file (HOOKRELAY_TEST_STORE=postgres) go with it.
afterAll(dropTestDatabases)
