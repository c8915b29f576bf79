// A write that must never wait in the outbox (a password reset: its one-time password is shown only in
// the answer): sendNow with `queued: ''` says nothing, and its outcome names the item so the screen
// can discard it.
import { describe, it, expect, afterEach, vi } from 'vitest'
import { startServer, signIn, freshApp, auth } from './server.js'

const toasts = []
vi.mock('../../src/lib/ui.js', () => ({
  showToast: (o) => toasts.push(['info', typeof o === 'string' ? o : o.message]),
  showSuccessToast: (m) => toasts.push(['success', m]),
  toastError: (e) => toasts.push(['error', e.detail]),
}))

let srv
afterEach(async () => {
  toasts.length = 0
  if (srv) await srv.close()
  srv = null
})

describe('sendNow for a write that must not wait', () => {
  it('no answer in time: silent, and the item can be discarded by its id', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || 'drop')
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const { sendNow } = await import('../../src/lib/send.js')
    const outcome = await sendNow({ kind: 'password-reset', path: '/members/5/password-reset', method: 'POST' }, { wait: 1500, queued: '' })
    expect(outcome.state).toBe('queued')
    expect(toasts).toEqual([])
    expect(outbox.outbox.items.map((i) => i.id)).toEqual([outcome.id])
    await outbox.discard(outcome.id)
    expect(outbox.outbox.items).toEqual([])
  })

  it('sent: the answer (with its one-time password) comes back, nothing stays behind', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || { status: 201, body: { initial_password: 'k7mq-x2pd-9bnr' } })
    const { outbox } = await freshApp()
    await outbox.loadOutbox()
    const { sendNow } = await import('../../src/lib/send.js')
    const outcome = await sendNow({ kind: 'password-reset', path: '/members/5/password-reset', method: 'POST' }, { queued: '' })
    expect(outcome.state).toBe('sent')
    expect(outcome.result.initial_password).toBe('k7mq-x2pd-9bnr')
    expect(outcome.id).toBeTruthy()
    expect(outbox.outbox.items).toEqual([])
  })
})
