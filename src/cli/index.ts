import { Command } from 'commander'
import { loadConfig } from '../config.js'
import { startServer } from '../main.js'
import { openStore } from '../store/open-store.js'

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hookrelay').description('Self-hosted webhook platform')

  program
    .command('serve')
    .description('Run the API, the dispatcher and the dashboard in one process')
    .option('--port <port>', 'port to listen on (HOOKRELAY_PORT, default 8080; 0 picks a free port)')
    .option('--host <host>', 'address to listen on (HOOKRELAY_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'SQLite database and key file (HOOKRELAY_DATA_DIR, default ./.hookrelay)')
    .option('--database-url <url>', 'postgres://... selects PostgreSQL (HOOKRELAY_DATABASE_URL)')
    .option('--role <role>', 'api, worker or all (HOOKRELAY_ROLE, default all)')
    .action(async (opts: { port?: string; host?: string; dataDir?: string; databaseUrl?: string; role?: string }) => {
      const config = loadConfig(process.env, opts)
      const server = await startServer(config)
      if (server.generatedAdminToken) {
        process.stdout.write(`hookrelay admin token (shown once, store it now): ${server.generatedAdminToken}\n`)
      }
      process.stdout.write(`hookrelay listening on ${server.url}\n`)
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        process.stderr.write(`hookrelay: ${signal}, finishing in-flight deliveries\n`)
        // Hold the event loop open until close() has finished. Once the HTTP server is closed, the
        // process must not end merely because nothing else is ref'd (Node then exits 0 on its own),
        // with attempts unsettled and queued deliveries still leased.
        setInterval(() => {}, 60_000)
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err)
            process.exit(1)
          },
        )
      }
      process.on('SIGTERM', () => stop('SIGTERM'))
      process.on('SIGINT', () => stop('SIGINT'))
    })

  program
    .command('migrate')
    .description('Apply database migrations and exit')
    .option('--data-dir <dir>', 'SQLite data directory (HOOKRELAY_DATA_DIR)')
    .option('--database-url <url>', 'postgres://... (HOOKRELAY_DATABASE_URL)')
    .action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
      const config = loadConfig(process.env, opts)
      const store = await openStore(config) // opening migrates
      await store.close()
      process.stdout.write('hookrelay: migrations applied\n')
    })

  await program.parseAsync(argv)
}
