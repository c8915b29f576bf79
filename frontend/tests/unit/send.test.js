// sendNow(): enqueue → wait → (discard on refusal) → tell the person, against a real HTTP server.
// Only the toasts are replaced (they need a rendered page); everything else is the real outbox.
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

async function app(handler) {
  signIn()
  srv = await startServer((r) => auth(r) || handler(r))
  const { outbox } = await freshApp()
  await outbox.loadOutbox()
  const { sendNow, QUEUED } = await import('../../src/lib/send.js')
  return { outbox, sendNow, QUEUED }
}

describe('sendNow', () => {
  it('sent: the answer and the success message', async () => {
    const { sendNow, outbox } = await app(() => ({ status: 201, body: { published: [1, 2] } }))
    const outcome = await sendNow(
      { kind: 'batch', path: '/units/3/pledges/publish', json: { pledge_ids: [1, 2] } },
      { sent: (o) => `已公示 ${o.result.published.length} 条` },
    )
    expect(outcome.state).toBe('sent')
    expect(toasts).toEqual([['success', '已公示 2 条']])
    expect(outbox.outbox.items).toEqual([])
  })

  it('no answer in time: kept in the outbox, "saved on the phone"', async () => {
    const { sendNow, outbox, QUEUED } = await app(() => 'drop')
    const outcome = await sendNow({ path: '/pledges/1/notes', json: { text: 'x' } }, { wait: 2000, sent: '已发送' })
    expect(outcome.state).toBe('queued')
    expect(toasts).toEqual([['info', QUEUED]])
    expect(outbox.outbox.items).toHaveLength(1)
  })

  it('refused: discarded (the screen still holds the text) and the error handed back', async () => {
    const { sendNow, outbox } = await app(() => ({ status: 422, body: { detail: '请填写内容', errors: [{ field: 'body.text', message: '请填写内容' }] } }))
    const outcome = await sendNow({ path: '/pledges/1/notes', json: { text: '' } }, { sent: '已发送' })
    expect(outcome.state).toBe('failed')
    expect(outcome.error.field('text')).toBe('请填写内容')
    expect(toasts).toEqual([])
    expect(outbox.outbox.items).toEqual([])
  })

  it('toastFailure shows the refusal', async () => {
    const { sendNow } = await app(() => ({ status: 409, body: { detail: '该承诺当前为“践诺中”，不能公示' } }))
    await sendNow({ path: '/units/3/pledges/publish', json: { pledge_ids: [1] } }, { toastFailure: true })
    expect(toasts).toEqual([['error', '该承诺当前为“践诺中”，不能公示']])
  })

  it('several ops: queued in order, ref: true points at the first; a refused first takes the rest with it', async () => {
    let refuse = false
    const { sendNow, outbox } = await app((r) =>
      refuse ? { status: 422, body: { detail: '不行' } } : r.path === '/api/v1/pledges' ? { status: 201, body: { id: 77 } } : { body: {} },
    )
    const ops = [
      { kind: 'create', path: '/pledges', json: { title: '修路' } },
      { kind: 'action', path: '/pledges/{ref}/submit', ref: true },
    ]
    const outcome = await sendNow(ops, { sent: '已报诺' })
    expect(outcome.result).toEqual({ id: 77 })
    await outbox.flush()
    expect(srv.to('/api/v1/pledges/77/submit')).toHaveLength(1)

    refuse = true
    expect((await sendNow(ops)).state).toBe('failed')
    expect(outbox.outbox.items).toEqual([])
  })
})
