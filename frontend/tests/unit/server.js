// A real HTTP server on 127.0.0.1 for one test, answering with what the test's handler returns:
// { status, headers, body } (an object body is sent as JSON), 'drop' to cut the connection after
// reading the request (a response lost on a village network), or nothing to answer by hand.
import http from 'node:http'
import { vi } from 'vitest'

export async function startServer(handler) {
  retire()
  const requests = []
  const server = http.createServer(async (req, res) => {
    // a request from an earlier test's app (its retry timer still running) is not this test's
    const from = /access-for-refresh-(\d+)/.exec(req.headers.authorization || '')
    if (from && Number(from[1]) !== signedIn) {
      req.socket.destroy()
      return
    }
    const chunks = []
    for await (const c of req) chunks.push(c)
    const text = Buffer.concat(chunks).toString()
    const r = { method: req.method, path: req.url, headers: req.headers, text, json: undefined }
    try {
      r.json = JSON.parse(text)
    } catch {
      /* not JSON (a form, or empty) */
    }
    requests.push(r)
    const out = await handler(r, res)
    if (out === 'drop') {
      req.socket.destroy()
      return
    }
    if (!out) return
    const { status = 200, headers = {}, body } = out
    const json = body !== undefined && typeof body !== 'string'
    const type = json ? { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } : {}
    res.writeHead(status, { ...type, ...headers })
    res.end(json ? JSON.stringify(body) : body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${server.address().port}/`
  globalThis.location.href = base
  return {
    base,
    requests,
    // requests to one path, without the sign-in traffic
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(resolve)
      }),
  }
}

let accounts = 100
let signedIn = null
/** A signed-in phone: a fresh account id (so tests never share outbox items) and a refresh token. */
export function signIn({ id = ++accounts, grants = [], member = { id: 1, name: '张三' } } = {}) {
  signedIn = id
  localStorage.setItem('ln.refresh', `refresh-${id}`)
  localStorage.setItem('ln.me', JSON.stringify({ account: { id, must_change_password: false }, member, grants }))
  return id
}

// the outboxes of earlier app instances in this file: their retry timers must not send their
// items to a later test's server (the page they belonged to is gone)
const retired = []
function retire() {
  for (const o of retired.splice(0)) {
    o.outbox.loaded = true
    o.outbox.items.splice(0)
  }
}

/** The app's modules as a phone that has just started loads them (module state from scratch). */
export async function freshApp() {
  retire()
  vi.resetModules()
  const [api, session, outbox] = await Promise.all([
    import('../../src/lib/api.js'),
    import('../../src/lib/session.js'),
    import('../../src/lib/outbox.js'),
  ])
  retired.push(outbox)
  return { api, session, outbox }
}

/** The sign-in part of the server: refresh answers a new token pair. */
export function auth(r) {
  if (r.path === '/api/v1/auth/refresh') {
    const n = r.json?.refresh_token || 'x'
    return { body: { access_token: `access-for-${n}`, refresh_token: `${n}+`, must_change_password: false } }
  }
  return null
}
