/**
 * A TCP relay on 127.0.0.1 in front of a loopback server: it passes bytes both ways and can cut
 * every connection at once, as a proxy or a network failure would, so tests can drop a client's
 * connection without touching the server.
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface TcpRelay {
  /** http://127.0.0.1:PORT, to use in place of the server's URL. */
  url: string
  /** Connections accepted so far. */
  readonly connections: number
  /** Destroys every open connection, both sides. */
  drop(): void
  /** New connections are accepted but not passed on until `resume()` (a test can then look at the server between the two). */
  hold(): void
  resume(): void
  close(): Promise<void>
}

export async function startTcpRelay(target: string): Promise<TcpRelay> {
  const { hostname, port } = new URL(target)
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '[::1]') throw new Error(`the relay forwards to loopback only, not ${hostname}`)
  const open = new Set<net.Socket>()
  let connections = 0
  let held: Array<() => void> | null = null
  const relay = (client: net.Socket): void => {
    const upstream = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) })
    for (const s of [client, upstream]) {
      open.add(s)
      s.on('close', () => open.delete(s))
      // A reset on one side ends the other; the error itself is what the test provoked.
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  }
  const server = net.createServer((client) => {
    connections++
    if (held === null) return relay(client)
    // The client's bytes wait in its socket until then.
    client.pause()
    client.on('error', () => client.destroy())
    open.add(client)
    held.push(() => relay(client))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections
    },
    drop() {
      for (const s of open) s.destroy()
    },
    hold() {
      held ??= []
    },
    resume() {
      const waiting = held ?? []
      held = null
      for (const go of waiting) go()
    },
    close() {
      for (const s of open) s.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
