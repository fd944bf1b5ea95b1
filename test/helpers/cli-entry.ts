/**
 * Runs the CLI from the TypeScript sources (`node --import tsx test/helpers/cli-entry.ts serve ...`),
 * so process-level tests never exercise a stale dist/ build.
 */
import { main } from '../../src/cli/index.js'

try {
  await main(process.argv)
} catch (err) {
  console.error(err)
  process.exit(1)
}
