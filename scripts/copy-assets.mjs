// tsc copies no SQL: migrations ship next to the compiled store so dist/ runs on its own.
import { cpSync } from 'node:fs'
cpSync('src/store/sqlite/migrations', 'dist/src/store/sqlite/migrations', { recursive: true })
