import { describe, expect, it } from 'vitest'
import { parseBody } from './parse-body.js'

const FORM = 'application/x-www-form-urlencoded'
const parse = (body: string | Buffer, contentType?: string) => parseBody(Buffer.isBuffer(body) ? body : Buffer.from(body), contentType)

describe('parseBody', () => {
  it('reads JSON whatever the content type, or without one', () => {
    for (const type of [undefined, 'application/json', 'text/plain', 'application/json; charset=utf-8']) {
      expect(parse('{"a":[1,"é"]}', type)).toEqual({ ok: true, body: { a: [1, 'é'] } })
    }
    expect(parse('{"a":', 'application/json')).toMatchObject({ ok: false, error: 'the body is not valid JSON' })
    expect(parse('')).toMatchObject({ ok: false })
  })

  it("reads a form whose only field is payload as the JSON in it (GitHub's default, Slack interactivity)", () => {
    const json = { action: 'opened', issue: { number: 1, title: 'a+b & c' } }
    const body = new URLSearchParams({ payload: JSON.stringify(json) }).toString()
    expect(parse(body, FORM)).toEqual({ ok: true, body: json })
    expect(parse(body, 'Application/X-WWW-Form-URLEncoded; charset=utf-8')).toEqual({ ok: true, body: json })
  })

  it('reads any other form as its fields, strings (a Slack slash command)', () => {
    // Slack's example (api.slack.com/interactivity/slash-commands).
    const body =
      'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc' +
      '&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=/weather&text=94070' +
      '&response_url=https://hooks.slack.com/commands/1234/5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456'
    const parsed = parse(body, FORM)
    expect(parsed).toMatchObject({ ok: true, body: { command: '/weather', text: '94070', enterprise_name: 'Globular Construct Inc', team_id: 'T0001' } })
    expect(Object.keys((parsed as { body: object }).body)).toHaveLength(14)
  })

  it('decodes + and percent-escapes, keeps the first of repeated names, and a field named __proto__ as a field', () => {
    expect(parse('a=1+2%2B3&b&&c=&a=again&n%C3%A4me=%F0%9F%9A%80', FORM)).toEqual({ ok: true, body: { a: '1 2+3', b: '', c: '', 'näme': '🚀' } })
    const proto = parse('__proto__=x&y=1', FORM) as { ok: true; body: Record<string, unknown> }
    expect(Object.getPrototypeOf(proto.body)).toBe(Object.prototype)
    expect(Object.keys(proto.body)).toEqual(['__proto__', 'y'])
    expect(parse('', FORM)).toEqual({ ok: true, body: {} })
    // payload beside other fields is one field among them.
    expect(parse('payload=%7B%7D&x=1', FORM)).toEqual({ ok: true, body: { payload: '{}', x: '1' } })
  })

  it('refuses a malformed form and a payload field that is not JSON', () => {
    for (const bad of ['a=%zz', 'a=%E2%82', 'a=%', '%FF=1']) expect(parse(bad, FORM)).toMatchObject({ ok: false, error: 'a percent-escape is malformed or not UTF-8' })
    expect(parse(Buffer.from([0x61, 0x3d, 0xff]), FORM)).toMatchObject({ ok: false, error: 'it is not UTF-8' })
    expect(parse('payload=%7B%22a%22', FORM)).toMatchObject({ ok: false, error: 'the payload field of the form is not valid JSON' })
    expect(parse('payload=hello', FORM)).toMatchObject({ ok: false })
  })

  it('refuses JSON that is not UTF-8 rather than reading U+FFFD into it, whatever the content type', () => {
    const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    for (const type of [undefined, 'application/json', FORM]) {
      expect(parse(bad, type)).toEqual({ ok: false, code: 'malformed_json', error: 'the body is not valid UTF-8', detail: 'The request body is not valid UTF-8.' })
    }
  })

  it('reads a form-labelled body that is JSON as JSON', () => {
    expect(parse(' {"event_type":"x"}', FORM)).toEqual({ ok: true, body: { event_type: 'x' } })
    expect(parse('{"event_type": "half', FORM)).toMatchObject({ ok: false, error: 'the body is not valid JSON' })
  })

  it('refuses JSON nested more than 100 levels deep, as a body or as the payload field of a form', () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`
    expect(parse(nested(100))).toMatchObject({ ok: true })
    const deep = { ok: false, code: 'too_deeply_nested', error: 'the body nests more than 100 levels deep' }
    expect(parse(nested(101))).toMatchObject(deep)
    expect(parse(`{"a":${nested(20_000)}}`, FORM)).toMatchObject(deep)
    expect(parse(new URLSearchParams({ payload: nested(20_000) }).toString(), FORM)).toMatchObject(deep)
    expect(parse('{"a":', 'application/json')).toMatchObject({ ok: false, code: 'malformed_json' })
  })
})
