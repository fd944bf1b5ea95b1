import { Liquid, type LiquidOptions, type Template } from 'liquidjs'

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
  /** Milliseconds per render. */
  renderLimit: 50,
  /** Roughly characters and array items allocated per render. */
  memoryLimit: 4_000_000,
}

let engine: Liquid | null = null
/** Made on first use: building the engine cost every start about 10 ms, and most nodes have no template. */
const liquid = (): Liquid => (engine ??= new Liquid(LIQUID_OPTIONS))

export type CompiledTemplate = Template[]

export type Compiled = { ok: true; template: CompiledTemplate } | { ok: false; message: string }
export type Rendered = { ok: true; text: string } | { ok: false; message: string }

export function compileTemplate(source: string): Compiled {
  try {
    return { ok: true, template: liquid().parse(source) }
  } catch (e) {
    return { ok: false, message: messageOf(e) }
  }
}

/** Renders synchronously; every failure (undefined variable, limit, filter error) comes back as data. */
export function renderTemplate(template: CompiledTemplate, context: object): Rendered {
  try {
    return { ok: true, text: liquid().renderSync(template, context) as string }
  } catch (e) {
    return { ok: false, message: messageOf(e) }
  }
}

/** Whether a string uses Liquid at all; plain strings skip the engine. */
export const isTemplate = (s: string): boolean => s.includes('{{') || s.includes('{%')

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
