/**
 * The CLI's view of a Hookrelay server (API.md, CLI): `--server` / HOOKRELAY_URL and `--token` /
 * HOOKRELAY_TOKEN, JSON in and out, problems turned into errors that say what the server said.
 */
export interface ClientOptions {
  server?: string
  token?: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message)
  }
}

export interface Client {
  readonly server: string
  call<T>(method: string, path: string, body?: unknown): Promise<T>
}

const DEFAULT_SERVER = 'http://127.0.0.1:8080'

export function createClient(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env): Client {
  const server = (opts.server ?? env.HOOKRELAY_URL ?? DEFAULT_SERVER).replace(/\/+$/, '')
  const token = opts.token ?? env.HOOKRELAY_TOKEN ?? env.HOOKRELAY_ADMIN_TOKEN
  if (!token) throw new Error('a token is needed: pass --token or set HOOKRELAY_TOKEN (the admin token or a tenant API key)')
  return {
    server,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' }
      if (body !== undefined) headers['content-type'] = 'application/json'
      let res: Response
      try {
        res = await fetch(server + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      } catch (err) {
        throw new Error(`cannot reach ${server}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`)
      }
      const text = await res.text()
      let parsed: unknown = null
      try {
        parsed = text === '' ? null : (JSON.parse(text) as unknown)
      } catch {
        // Not Hookrelay answering (a proxy's error page, say): the status says more than the body.
        if (!res.ok) throw new ApiError(res.status, null, `${method} ${path}: ${res.status} ${res.statusText} (not a Hookrelay answer)`)
        throw new Error(`${method} ${path}: the answer is not JSON`)
      }
      if (!res.ok) {
        const p = (parsed ?? {}) as { code?: string; detail?: string; title?: string; errors?: Array<{ path: string; message: string }> }
        const said = p.detail ?? p.title ?? text
        // The field errors, unless the detail already says them (the API's validation details do).
        const unsaid = (p.errors ?? []).map((e) => `${e.path}: ${e.message}`).filter((e) => !said.includes(e))
        const where = unsaid.length > 0 ? ` (${unsaid.join('; ')})` : ''
        throw new ApiError(res.status, p.code ?? null, `${method} ${path}: ${res.status} ${said}${where}`)
      }
      return parsed as T
    },
  }
}

/** The pages of a list (`{data, nextCursor}`), one request each, as far as the caller reads. */
export async function* pages<T>(client: Client, path: string, limit: number): AsyncGenerator<T[]> {
  const sep = path.includes('?') ? '&' : '?'
  let cursor: string | null = null
  do {
    const page: { data: T[]; nextCursor: string | null } = await client.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    yield page.data
    cursor = page.nextCursor
  } while (cursor !== null)
}
