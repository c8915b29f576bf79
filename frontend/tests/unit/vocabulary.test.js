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

// the shape of GET /api/v1/pledges/vocabulary (app/pledges/schemas.py PledgeVocabulary), shortened
const action = (label, extra = {}) => ({ label, lifecycle: true, who: 'reviewer', reason_required: false, outcome_required: false, ...extra })
const VOCABULARY = {
  statuses: { draft: '草稿', published: '践诺中', closing: '申请销诺' },
  actions: {
    approve: action('定诺'),
    return: action('退回', { reason_required: true }),
    close: action('销诺', { reason_required: true, outcome_required: true }),
    withdraw: action('撤回', { who: 'owner', reason_asked: true, reason_label: '撤回原因', destructive: true, confirm: '撤回：承诺将作废，不再送审，不能恢复' }),
    note: { label: '监督意见', lifecycle: false, who: null, reason_required: false, outcome_required: false },
  },
  categories: { post_duty: '岗位承诺', public_service: '公益服务', collective: '集体承诺' },
  outcomes: { kept: '已兑现', not_kept: '未兑现' },
  reason_required: ['close', 'return'],
  outcome_required: ['close'],
  transitions: [{ source: 'draft', action: 'submit', target: 'submitted', who: 'owner', reason_required: false, outcome_required: false }],
  status_sets: { final: ['closed'] },
}

describe('vocabulary', () => {
  it('the labels are the server’s, loaded after sign-in and kept for the next start offline', async () => {
    localStorage.removeItem('ln.vocabulary')
    signIn()
    srv = await startServer((r) => auth(r) || (r.path === '/api/v1/pledges/vocabulary' ? { body: VOCABULARY } : { status: 404, body: {} }))
    await freshApp()
    let w = await words()
    expect(w.hasVocabulary()).toBe(false) // the app copies no table
    expect([w.STATUS.published, w.needsReason('return')]).toEqual([undefined, false])
    await w.loadVocabulary()
    expect(w.hasVocabulary()).toBe(true)
    expect(w.STATUS.published).toBe('践诺中')
    expect(w.ACTION.return).toBe('退回')
    expect(w.ACTION.note).toBe('监督意见')
    expect(Object.keys(w.CATEGORY)).toEqual(['post_duty', 'public_service', 'collective'])
    expect(w.CATEGORY.public_service).toBe('公益服务')
    expect(w.OUTCOME).toEqual({ kept: '已兑现', not_kept: '未兑现' })
    expect([w.needsReason('return'), w.needsReason('approve'), w.needsReason('cancel')]).toEqual([true, false, false])
    expect([w.needsOutcome('close'), w.needsOutcome('return')]).toEqual([true, false])
    // what a destructive action does and the reason it asks, in the server's words
    expect(w.ACTION_INFO.withdraw).toEqual({ reason_asked: true, reason_required: false, reason_label: '撤回原因', destructive: true, confirm: '撤回：承诺将作废，不再送审，不能恢复' })
    expect(w.ACTION_INFO.approve.destructive).toBe(false)

    await srv.close()
    srv = null
    await freshApp() // restarted offline
    w = await words()
    expect(w.STATUS.published).toBe('践诺中')
    expect(w.needsOutcome('close')).toBe(true)
    await w.loadVocabulary() // offline: nothing changes, nothing thrown
    expect(w.ACTION.return).toBe('退回')
  })

  it('signing in waits for the words, so the first screen already has them', async () => {
    localStorage.removeItem('ln.vocabulary')
    const account = signIn()
    srv = await startServer(
      (r) =>
        auth(r) ||
        (r.path === '/api/v1/auth/me' ? { body: { account: { id: account }, member: null, grants: [] } } : null) ||
        (r.path === '/api/v1/pledges/vocabulary' ? { body: VOCABULARY } : { status: 404, body: {} }),
    )
    await freshApp()
    const { afterSignIn } = await import('../../src/lib/boot.js')
    const w = await words()
    await afterSignIn()
    expect(w.STATUS.closing).toBe('申请销诺')
    expect(srv.to('/api/v1/pledges/vocabulary')).toHaveLength(1)
  })

  it('a new server version’s words replace the old ones', async () => {
    await freshApp()
    const w = await words()
    expect(w.applyVocabulary(VOCABULARY)).toBe(true)
    const next = { ...VOCABULARY, statuses: { draft: '起草中' }, categories: { other: '其他' }, reason_required: ['cancel'] }
    expect(w.applyVocabulary(next)).toBe(true)
    expect(w.STATUS).toEqual({ draft: '起草中' })
    expect(w.CATEGORY).toEqual({ other: '其他' })
    expect([w.needsReason('cancel'), w.needsReason('return')]).toEqual([true, false])
  })

  it('an answer that is not a vocabulary changes nothing', async () => {
    await freshApp()
    const w = await words()
    w.applyVocabulary(VOCABULARY)
    expect(w.applyVocabulary('<html>')).toBe(false)
    expect(w.applyVocabulary({})).toBe(false)
    expect(w.applyVocabulary({ statuses: [] })).toBe(false)
    expect(w.STATUS.draft).toBe('草稿')
  })

  it('refused or offline: the words kept on the phone stay', async () => {
    localStorage.setItem('ln.vocabulary', JSON.stringify(VOCABULARY))
    signIn()
    srv = await startServer((r) => auth(r) || { status: 503, body: { detail: '维护中' } })
    await freshApp()
    const w = await words()
    await w.loadVocabulary()
    expect(w.ACTION.return).toBe('退回')
    expect(JSON.parse(localStorage.getItem('ln.vocabulary'))).toEqual(VOCABULARY)
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
