import { Command } from 'commander'
import { ConfigError, loadConfig, type Config, type Flags } from '../config.js'
import { StartError, startServer } from '../main.js'
import { Access } from '../services/access.js'
import { openStore } from '../store/open-store.js'
import { createClient, type ClientOptions } from './client.js'
import { VERSION } from '../version.js'
import { listen } from './listen.js'
import { listenSecret } from './listen-secrets.js'
import { replay } from './replay.js'
import { send } from './send.js'
import { requireTenant } from './whose-tenant.js'

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hookrelay').description('Self-hosted webhook platform').version(VERSION, '-v, --version', 'print the version')
  /** The settings, or null after saying in one line on stderr which one is unusable (exit code 1, no stack trace). */
  const configFrom = (flags: Flags): Config | null => {
    try {
      return loadConfig(process.env, flags)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      process.stderr.write(`hookrelay: ${err.message}\n`)
      process.exitCode = 1
      return null
    }
  }

  program
    .command('serve')
    .description('Run the API, the dispatcher, inbound sources and the gateway in one process')
    .option('--port <port>', 'port to listen on (HOOKRELAY_PORT, default 8080; 0 picks a free port)')
    .option('--host <host>', 'address to listen on (HOOKRELAY_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'SQLite database and key file (HOOKRELAY_DATA_DIR, default ./.hookrelay)')
    .option('--database-url <url>', 'postgres://... selects PostgreSQL (HOOKRELAY_DATABASE_URL)')
    .option('--role <role>', 'api, worker or all (HOOKRELAY_ROLE, default all)')
    .action(async (opts: { port?: string; host?: string; dataDir?: string; databaseUrl?: string; role?: string }) => {
      const config = configFrom(opts)
      if (config === null) return
      // Signals are taken from before the start: one that arrives while starting, or right after the
      // listening line (a supervisor may send it at once), still ends in a graceful stop and exit 0.
      let server: Awaited<ReturnType<typeof startServer>> | null = null
      let requested: string | null = null
      let closing = false
      const stop = (signal: string) => {
        if (server === null) {
          // Before the start completes, the signal waits for it; a second one (a start stuck on the
          // database, say) ends the process at once.
          if (requested !== null) {
            process.stderr.write(`hookrelay: ${signal} again while starting, exiting now\n`)
            process.exit(1)
          }
          requested = signal
          process.stderr.write(`hookrelay: ${signal} while starting; stopping once started (send it again to exit now)\n`)
          return
        }
        requested ??= signal
        if (closing) return
        closing = true
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
      try {
        server = await startServer(config)
      } catch (err) {
        // One line naming the cause, no stack; exit at once (threads or pools may still be open).
        const why = err instanceof StartError ? err.message : `cannot start: ${String((err as Error)?.message ?? err).split('\n', 1)[0]}`
        process.stderr.write(`hookrelay: ${why}\n`)
        process.exit(1)
      }
      if (server.generatedAdminToken) {
        process.stdout.write(`hookrelay admin token (shown once, store it now): ${server.generatedAdminToken}\n`)
      }
      process.stdout.write(`hookrelay listening on ${server.url}\n`)
      // API.md, Dashboard and portal: the start-up output names the dashboard (a worker serves none).
      if (config.role !== 'worker') process.stdout.write(`hookrelay dashboard: ${server.url}/ui/\n`)
      if (requested !== null) stop(requested)
    })

  program
    .command('migrate')
    .description('Apply database migrations and exit')
    .option('--data-dir <dir>', 'SQLite data directory (HOOKRELAY_DATA_DIR)')
    .option('--database-url <url>', 'postgres://... (HOOKRELAY_DATABASE_URL)')
    .action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
      const config = configFrom(opts)
      if (config === null) return
      const store = await openStore(config) // opening migrates
      await store.close()
      process.stdout.write('hookrelay: migrations applied\n')
    })

  program
    .command('admin-token')
    .description('Manage the admin token kept in the database')
    .command('reset')
    .description('Print a new admin token; the old one stops working (on running servers within 10 s)')
    .option('--data-dir <dir>', 'SQLite data directory (HOOKRELAY_DATA_DIR)')
    .option('--database-url <url>', 'postgres://... (HOOKRELAY_DATABASE_URL)')
    .action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
      const config = configFrom(opts)
      if (config === null) return
      let store
      try {
        store = await openStore(config)
      } catch (err) {
        process.stderr.write(`hookrelay: cannot open the database: ${String((err as Error).message).split('\n', 1)[0]}\n`)
        process.exitCode = 1
        return
      }
      try {
        const token = await new Access(store).reset()
        process.stdout.write(`hookrelay admin token (shown once, store it now): ${token}\n`)
        if (config.adminToken !== null) {
          process.stderr.write('hookrelay: HOOKRELAY_ADMIN_TOKEN is set here; servers started with it keep using it instead\n')
        }
      } finally {
        await store.close()
      }
    })

  // The commands that talk to a running server (API.md, CLI).
  const client = <T extends Command>(cmd: T): T =>
    cmd
      .option('--server <url>', 'the Hookrelay server (HOOKRELAY_URL, default http://127.0.0.1:8080)')
      .option('--token <token>', 'the admin token or a tenant API key (HOOKRELAY_TOKEN)')
  const out = (line: string) => process.stdout.write(`${line}\n`)
  /** Runs a client command; a failure is one line on stderr and exit code 1, not a stack trace. */
  const run = async (fn: () => Promise<void>) => {
    try {
      await fn()
    } catch (err) {
      process.stderr.write(`hookrelay: ${(err as Error).message}\n`)
      process.exitCode = 1
    }
  }

  const tenantHelp = "(default: a tenant API key's own tenant)"

  client(program.command('send'))
    .description('Publish one event')
    .option('--tenant <id>', `the tenant to publish to ${tenantHelp}`)
    .argument('<type>', 'the event type, e.g. invoice.paid')
    .argument('<json>', 'the payload, a JSON object')
    .action((type: string, json: string, opts: ClientOptions & { tenant?: string }) =>
      run(async () => {
        const api = createClient(opts)
        await send(api, await requireTenant(api, opts.tenant), type, json, out)
      }),
    )

  client(program.command('replay'))
    .description("Send an endpoint's failed deliveries again, with a progress bar on a terminal")
    .requiredOption('--endpoint <id>', 'the endpoint')
    .option('--since <iso>', 'replay deliveries created since this time (ISO 8601; default the last 24 hours)')
    .option('--tenant <id>', "the endpoint's tenant (default: a tenant API key's own; looked up with the admin token)")
    .action((opts: ClientOptions & { endpoint: string; since?: string; tenant?: string }) =>
      run(async () => {
        const tty = process.stdout.isTTY === true
        let drawn = false
        await replay(
          createClient(opts),
          { endpoint: opts.endpoint, ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}) },
          {
            out: (line) => {
              if (drawn) process.stdout.write('\n')
              drawn = false
              out(line)
            },
            ...(tty
              ? {
                  progress: (line: string) => {
                    process.stdout.write(`\r${line}`)
                    drawn = true
                  },
                }
              : {}),
          },
        )
      }),
    )

  client(program.command('listen'))
    .description("Forward a tenant's new events to a local URL, signed, for development")
    .option('--tenant <id>', `the tenant whose events to forward ${tenantHelp}`)
    .requiredOption('--forward-to <url>', 'where to POST them, e.g. http://localhost:3000/hooks')
    .option('--events <types>', 'comma-separated event types or patterns (invoice.*); default all')
    .option('--secret <whsec>', 'the signing secret to use from now on; default the one kept from the last run against this server and tenant, or a new one')
    .action((opts: ClientOptions & { tenant?: string; forwardTo: string; events?: string; secret?: string }) =>
      run(async () => {
        const stop = new AbortController()
        process.once('SIGINT', () => stop.abort())
        process.once('SIGTERM', () => stop.abort())
        const events = opts.events?.split(',').map((e) => e.trim()).filter((e) => e !== '')
        const api = createClient(opts)
        const tenant = await requireTenant(api, opts.tenant)
        const { secret, file } = listenSecret(api.server, tenant, opts.secret)
        await listen(api, { tenant, forwardTo: opts.forwardTo, ...(events ? { events } : {}), secret, secretFile: file }, out, stop.signal)
      }),
    )

  await program.parseAsync(argv)
}
