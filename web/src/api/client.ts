/**
 * The one way the console talks to the server: the public API (/v1/...), with the session's bearer
 * token. A problem document becomes an ApiError carrying its code and field errors; a 401 also
 * tells the app the session is over (signed out, expired or revoked).
 */
export interface FieldError {
  path: string
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail)
  }
}

let token: string | null = null
let onUnauthorized: (() => void) | null = null

export function setToken(t: string | null): void {
  token = t
}

export function getToken(): string | null {
  return token
}

/** Called on any 401: the app shows its signed-out (or session-ended) page. */
export function handleUnauthorized(fn: (() => void) | null): void {
  onUnauthorized = fn
}

/** Tells the app its token no longer works (used by the event stream, which reads responses itself). */
export function unauthorized(): void {
  onUnauthorized?.()
}

export function authHeaders(): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
  } catch (err) {
    throw new ApiError(0, 'network', `The server could not be reached (${(err as Error).message}).`)
  }
  const text = await res.text()
  let parsed: unknown = null
  if (text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = text
    }
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: string; detail?: string; title?: string; errors?: FieldError[] }
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.()
    throw new ApiError(res.status, p.code ?? `http_${res.status}`, p.detail ?? p.title ?? `The server answered ${res.status}.`, p.errors ?? [])
  }
  return parsed as T
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {})
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body)
export const del = (path: string) => api<null>('DELETE', path)

/** A query string from the values that are set, in the order given. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

export const enc = encodeURIComponent
