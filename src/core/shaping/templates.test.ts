import { describe, expect, it } from 'vitest'
import { compileTemplate, isTemplate, renderTemplate } from './templates.js'

function render(source: string, context: object = {}) {
  const c = compileTemplate(source)
  if (!c.ok) return { ok: false as const, message: `compile: ${c.message}` }
  return renderTemplate(c.template, context)
}

describe('templates', () => {
  const ctx = { event: { id: 'evt_1', data: { name: 'Ada "the first"', items: [1, 2] } }, tenant: { metadata: { hookUrl: 'http://127.0.0.1:9/x' } } }

  it('renders variables and serializes values with the json filter', () => {
    expect(render('{"who": {{ event.data.name | json }}, "items": {{ event.data.items | json }}}', ctx)).toEqual({
      ok: true,
      text: '{"who": "Ada \\"the first\\"", "items": [1,2]}',
    })
    expect(render('{{ tenant.metadata.hookUrl }}', ctx)).toEqual({ ok: true, text: 'http://127.0.0.1:9/x' })
  })

  it('reports parse errors when compiling', () => {
    for (const bad of ['{% if x %}', '{{ x | nosuchfilter }}', '{% unknowntag %}']) {
      const c = compileTemplate(bad)
      expect(c.ok, bad).toBe(false)
    }
  })

  it('refuses undefined variables, but lets if and default test for them', () => {
    expect(render('{{ event.data.missing }}', ctx)).toMatchObject({ ok: false, message: expect.stringContaining('undefined variable') })
    expect(render('{% if event.data.missing %}yes{% else %}no{% endif %}', ctx)).toEqual({ ok: true, text: 'no' })
    expect(render('{{ event.data.missing | default: "none" }}', ctx)).toEqual({ ok: true, text: 'none' })
  })

  it('reads own properties only', () => {
    expect(render('{{ event.constructor }}', ctx).ok).toBe(false)
    expect(render('{{ event.data.__proto__ }}', ctx).ok).toBe(false)
  })

  it('reads no files', () => {
    for (const t of ["{% include '/etc/passwd' %}", "{% render 'package.json' %}", "{% layout 'x' %}{% block a %}{% endblock %}"]) {
      expect(render(t, ctx), t).toMatchObject({ ok: false })
    }
  })

  it('stops templates that would run too long or allocate too much', () => {
    const loops = '{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}'
    const started = Date.now()
    expect(render(loops)).toMatchObject({ ok: false, message: expect.stringMatching(/limit/) })
    // The limit is 50 ms of rendering; generous slack for a loaded machine, far below the loop's hours.
    expect(Date.now() - started).toBeLessThan(5000)
    const doubling = '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}'
    expect(render(doubling)).toMatchObject({ ok: false, message: expect.stringMatching(/limit/) })
    expect(render('{% for i in (1..100000000) %}{{ i }}{% endfor %}')).toMatchObject({ ok: false })
  })

  it('tells templates from plain strings', () => {
    expect(isTemplate('https://example.com/a?b=c')).toBe(false)
    expect(isTemplate('{{ tenant.metadata.url }}')).toBe(true)
    expect(isTemplate('{% if x %}a{% endif %}')).toBe(true)
  })
})
