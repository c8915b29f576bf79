// The server's words: fetched after sign-in, kept for starting offline; the buttons come from
// each pledge's allowed_actions only.
import { describe, it, expect, afterEach } from 'vitest'
import { startServer, signIn, freshApp, auth } from './server.js'

let srv
afterEach(async () => {
  if (srv) await srv.close()
  srv = null
})

async function words() {
  const [labels, vocabulary] = await Promise.all([import('../../src/lib/labels.js'), import('../../src/lib/vocabulary.js')])
  return { ...labels, ...vocabulary }
}

const VOCABULARY = {
  statuses: [{ code: 'published', label: '践诺中（公示）' }],
  actions: [
    { code: 'approve', label: '定诺', reason_required: false, outcome_required: false },
    { code: 'return', label: '退回修改', reason_required: true, outcome_required: false },
    { code: 'close', label: '销诺', reason_required: true, outcome_required: true },
  ],
  categories: { post_duty: '岗位履职' },
  outcomes: { kept: { label: '全部兑现' } },
}

describe('vocabulary', () => {
  it('fills the labels from the server and keeps them for the next start, offline', async () => {
    signIn()
    srv = await startServer((r) => auth(r) || (r.path === '/api/v1/pledges/vocabulary' ? { body: VOCABULARY } : { status: 404, body: {} }))
    await freshApp()
    let w = await words()
    expect(w.STATUS.published).toBe('践诺中')
    await w.loadVocabulary()
    expect(w.STATUS.published).toBe('践诺中（公示）')
    expect(w.STATUS.draft).toBe('草稿') // a word the server did not send stays
    expect(w.ACTION.return).toBe('退回修改')
    expect(w.CATEGORY.post_duty).toBe('岗位履职')
    expect(w.OUTCOME.kept).toBe('全部兑现')
    expect([w.needsReason('return'), w.needsReason('approve'), w.needsReason('cancel')]).toEqual([true, false, false])
    expect([w.needsOutcome('close'), w.needsOutcome('return')]).toEqual([true, false])

    await srv.close()
    srv = null
    await freshApp() // restarted offline
    w = await words()
    expect(w.STATUS.published).toBe('践诺中（公示）')
    expect(w.needsReason('cancel')).toBe(false)
    await w.loadVocabulary() // offline: nothing changes, nothing thrown
    expect(w.ACTION.return).toBe('退回修改')
  })

  it('lists of codes work as well as flags', async () => {
    localStorage.removeItem('ln.vocabulary')
    await freshApp()
    const w = await words()
    expect(w.applyVocabulary({ status: { draft: '起草中' }, reason_required: ['cancel'], outcome_required: [] })).toBe(true)
    expect(w.STATUS.draft).toBe('起草中')
    expect(w.needsReason('cancel')).toBe(true)
    expect(w.needsReason('return')).toBe(false)
    expect(w.needsOutcome('close')).toBe(false)
    expect(w.applyVocabulary('<html>')).toBe(false)
    expect(w.applyVocabulary({})).toBe(false)
  })

  it('a server without the vocabulary yet: the words on the phone stay', async () => {
    localStorage.removeItem('ln.vocabulary')
    signIn()
    srv = await startServer((r) => auth(r) || { status: 422, body: { detail: '参数有误' } })
    await freshApp()
    const w = await words()
    await w.loadVocabulary()
    expect(w.ACTION.return).toBe('退回')
    expect(w.needsReason('return')).toBe(true)
    expect(localStorage.getItem('ln.vocabulary')).toBeNull()
  })
})

describe('pledge buttons', () => {
  it('only what the server allows, lifecycle actions apart from the ones with their own button', async () => {
    const p = await import('../../src/lib/pledges.js')
    const pledge = { status: 'published', allowed_actions: ['request_close', 'revise', 'progress', 'note', 'cancel', 'edit'] }
    expect(p.allowedActions(pledge)).toEqual(['request_close', 'cancel'])
    expect([p.canReport(pledge), p.canNote(pledge), p.canRevise(pledge), p.canEdit(pledge)]).toEqual([true, true, true, true])
    const none = { status: 'published', allowed_actions: [] }
    expect([p.allowedActions(none), p.canReport(none), p.canRevise(none)]).toEqual([[], false, false])
    // a pledge from an old cache without allowed_actions offers nothing
    expect(p.allowedActions({ status: 'draft', member_id: 1 })).toEqual([])
    expect(p.actionPath('request_close')).toBe('request-close')
    expect(p.actionPath('approve')).toBe('approve')
  })

  it('overdue is the server’s', async () => {
    const p = await import('../../src/lib/pledges.js')
    expect(p.isOverdue({ overdue: true, due_date: '2999-01-01' })).toBe(true)
    expect(p.isOverdue({ overdue: false, due_date: '2000-01-01', status: 'published' })).toBe(false)
  })

  it('the last return reason is the newest event’s, only when it was a return', async () => {
    const p = await import('../../src/lib/pledges.js')
    expect(p.lastReturnReason([{ kind: 'event', action: 'return', reason: '写具体些' }, { kind: 'event', action: 'submit' }])).toBe('写具体些')
    expect(p.lastReturnReason([{ kind: 'progress' }, { kind: 'event', action: 'submit' }, { kind: 'event', action: 'return', reason: 'x' }])).toBe('')
  })
})
