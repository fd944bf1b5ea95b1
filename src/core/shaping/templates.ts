import { Context, Liquid, toValueSync, type LiquidOptions, type Template } from 'liquidjs'

/**
 * What one render may take: API.md, "What each delivery looks like". Liquid checks it between
 * nodes only, so a single filter (`has_exp` over a long range) can run far past it: renders that
 * users control run on a render thread that is stopped when it overruns (rendering/render-pool.ts).
 */
export const RENDER_LIMIT_MS = 50
/** The message of every render that ran past RENDER_LIMIT_MS, however it was stopped. */
export const TOO_SLOW = `took longer than ${RENDER_LIMIT_MS} ms (the render time limit)`

/**
 * Liquid for user templates (payload bodies, URLs, header values). Users are not trusted, so:
 * - no file system: `templates: {}` makes `include`, `render` and `layout` look only in an empty map;
 * - `strictVariables` and `strictFilters`: a typo is an error, not a silently empty field
 *   (`lenientIf` keeps `{% if x %}` and `| default` usable for optional fields);
 * - `ownPropertyOnly`: no reaching into prototypes (`constructor`, `__proto__`);
 * - parse, render-time and memory limits, so a template cannot hang or exhaust the process.
 * Liquid does not escape output: JSON templates serialize values with the `json` filter.
 */
const LIQUID_OPTIONS: LiquidOptions = {
  templates: {},
  strictVariables: true,
  strictFilters: true,
  lenientIf: true,
  ownPropertyOnly: true,
  /** Characters of template text. */
  parseLimit: 100_000,
  /** Checked by Liquid between nodes; renderTemplate also checks after the render. */
  renderLimit: RENDER_LIMIT_MS,
  /** Roughly characters and array items allocated per render. */
  memoryLimit: 4_000_000,
}

let engine: Liquid | null = null
/** Made on first use: building the engine cost every start about 10 ms, and most nodes have no template. */
const liquid = (): Liquid => (engine ??= new Liquid(LIQUID_OPTIONS))

export type CompiledTemplate = Template[]
export type Compiled = { ok: true; template: CompiledTemplate } | { ok: false; message: string }
/**
 * `transient`: the render failed only because it ran past RENDER_LIMIT_MS. That limit is wall-clock
 * time, which a busy machine stretches, so the same render may pass when tried again (a delivery
 * retries it; a broken template fails the same way every time and does not).
 */
export type Rendered = { ok: true; text: string } | { ok: false; message: string; transient?: true }

/** A failure's `transient` mark, to carry over onto the failure that wraps it. */
export const transientOf = (failure: { transient?: true }): { transient?: true } => (failure.transient ? { transient: true } : {})

/** Parsed templates by source, most recently used last: render threads build every request's shape anew. */
const compiled = new Map<string, Compiled>()
const COMPILED_KEPT = 256

export function compileTemplate(source: string): Compiled {
  const hit = compiled.get(source)
  if (hit !== undefined) {
    compiled.delete(source)
    compiled.set(source, hit)
    return hit
  }
  let c: Compiled
  try {
    c = { ok: true, template: liquid().parse(source) }
  } catch (e) {
    c = { ok: false, message: messageOf(e) }
  }
  compiled.set(source, c)
  if (compiled.size > COMPILED_KEPT) compiled.delete(compiled.keys().next().value as string)
  return c
}

/** What a render may output at most unless told otherwise: HOOKRELAY_MAX_PAYLOAD_BYTES' default, 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024

/** Thrown by the emitter once the output passes its limit: the render stops there. */
class OutputTooLarge extends Error {}

/** Liquid's own stringify for output: nil is empty, arrays are their items joined. */
const stringify = (v: unknown): string => {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  if (Array.isArray(v)) return v.map(stringify).join('')
  // Objects print as Liquid prints them ('[object Object]'); numbers, booleans and the rest as String does.
  if (typeof v === 'object') return Object.prototype.toString.call(v)
  const scalar = v as number | boolean | bigint | symbol
  return String(scalar)
}

/**
 * Collects the output and stops the render as soon as it passes `maxChars` UTF-16 units (each at
 * least one UTF-8 byte), so a template that prints a doubled string 50 times fails at the limit
 * instead of building a body of tens of MB.
 */
class BoundedEmitter {
  buffer = ''
  constructor(private readonly maxChars: number) {}
  write(html: unknown): void {
    const s = stringify(html)
    if (this.buffer.length + s.length > this.maxChars) throw new OutputTooLarge()
    this.buffer += s
  }
}

/**
 * Renders synchronously; every failure (undefined variable, limit, filter error, output over
 * `maxBytes` of UTF-8) comes back as data. A render that took longer than RENDER_LIMIT_MS fails
 * even when it finished, so the limit does not depend on where the time went (between nodes, where
 * Liquid looks, or inside one filter, where it cannot). Stopping a render that never finishes is
 * the render thread's job.
 */
export function renderTemplate(template: CompiledTemplate, context: object, maxBytes: number = DEFAULT_MAX_OUTPUT_BYTES): Rendered {
  const engine = liquid()
  const emitter = new BoundedEmitter(maxBytes)
  const tooLarge: Rendered = { ok: false, message: `output is larger than ${maxBytes} bytes (HOOKRELAY_MAX_PAYLOAD_BYTES)` }
  const started = performance.now()
  try {
    const ctx = new Context(context, engine.options, { sync: true }, { liquid: engine })
    toValueSync(engine.renderer.renderTemplates(template, ctx, emitter))
  } catch (e) {
    if (e instanceof OutputTooLarge || (e as { originalError?: unknown }).originalError instanceof OutputTooLarge) return tooLarge
    const message = messageOf(e)
    return message.startsWith('template render limit exceeded') ? { ok: false, message: TOO_SLOW, transient: true } : { ok: false, message }
  }
  if (performance.now() - started > RENDER_LIMIT_MS) return { ok: false, message: TOO_SLOW, transient: true }
  const text = emitter.buffer
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) return tooLarge
  return { ok: true, text }
}

/** Whether a string uses Liquid at all; plain strings skip the engine. */
export const isTemplate = (s: string): boolean => s.includes('{{') || s.includes('{%')

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
