/** @hookrelay/sdk/express in a real Express 5 app on loopback. */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { verifyWebhooks } from '../src/adapters/express.js'
import { adapterSuite, newSecret, signed, type Recorder, type ReceiverApp } from './adapter-suite.js'
import { recorder } from './helpers.js'

async function startApp(secret: string, seen: Recorder): Promise<ReceiverApp> {
  const app = express()
  app.post('/webhooks', verifyWebhooks({ secret }), (req, res) => {
    seen.add(req.webhook)
    res.status(204).end()
  })
  // After express.raw(), the adapter takes its Buffer; a JSON parser after the adapter leaves its body alone.
  app.post('/raw', express.raw({ type: '*/*' }), verifyWebhooks({ secret }), express.json(), (req, res) => {
    seen.add(req.webhook)
    res.json({ body: req.body })
  })
  // The classic bug: a JSON parser ran first, only a re-serialized body is left.
  app.post('/parsed-first', express.json(), verifyWebhooks({ secret }), (req, res) => {
    seen.add(req.webhook)
    res.status(204).end()
  })
  app.use(express.json())
  app.post('/echo', (req, res) => {
    res.json(req.body)
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

adapterSuite('Express', startApp)

describe('Express adapter and other body parsers', () => {
  it('works after express.raw(), sets req.body to the event, and refuses to verify a body a JSON parser already read', async () => {
    const secret = newSecret()
    const seen = recorder()
    const app = await startApp(secret, seen)
    try {
      const body = '{"id":"evt_raw",  "data": {"spaced":  true}}'
      const raw = await fetch(`${app.url}/raw`, { method: 'POST', headers: signed(secret, body), body })
      expect(raw.status).toBe(200)
      expect(await raw.json()).toEqual({ body: { id: 'evt_raw', data: { spaced: true } } })

      // Whitespace the re-serialized body would lose: verification must not run on it, and the handler never runs.
      const parsed = await fetch(`${app.url}/parsed-first`, { method: 'POST', headers: signed(secret, body), body })
      expect(parsed.status).toBe(500)
      expect(await parsed.text()).toContain('mount verifyWebhooks before express.json()')
      expect(seen.seen).toEqual([{ id: 'evt_raw', data: { spaced: true } }])

      // The rest of the app keeps its JSON parser.
      const echo = await fetch(`${app.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
      expect(await echo.json()).toEqual({ a: 1 })
    } finally {
      await app.close()
    }
  })

  it('answers 413 to a body over maxBodyBytes without reading it whole', async () => {
    const secret = newSecret()
    const app = express()
    app.post('/webhooks', verifyWebhooks({ secret, maxBodyBytes: 1024 }), (_req, res) => {
      res.status(204).end()
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    try {
      const body = JSON.stringify({ big: 'x'.repeat(5000) })
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, { method: 'POST', headers: signed(secret, body), body })
      expect(res.status).toBe(413)
      expect(await res.json()).toMatchObject({ code: 'body_too_large' })
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
