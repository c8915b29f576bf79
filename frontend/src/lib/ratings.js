// Star ratings (三评定星) in the PWA: the API's paths in one place, the Chinese words for periods
// and levels, and the writes, which go through the outbox like every other write (each with its
// own Idempotency-Key, so a peer review saved offline is applied exactly once when it is sent).
import { computed } from 'vue'
import { qs } from './api'
import { session, roles } from './session'

// ---- paths (all under /api/v1) ----
export const paths = {
  periods: (q = {}) => `/rating-periods${qs({ size: 50, ...q })}`,
  createPeriod: () => '/rating-periods',
  period: (id) => `/rating-periods/${id}`,
  action: (id, action) => `/rating-periods/${id}/${action}`,
  policy: (unitId) => `/rating-policies/${unitId}`,
  selfStatement: (id) => `/rating-periods/${id}/self-statement`,
  peers: (id, page) => `/rating-periods/${id}/peer-reviews/mine${qs({ page: page > 1 ? page : undefined })}`,
  review: (id, memberId) => `/rating-periods/${id}/peer-reviews/${memberId}`,
  progress: (id, branchId, page) =>
    `/rating-periods/${id}/peer-reviews/progress${qs({ branch_id: branchId, size: 100, page: page > 1 ? page : undefined })}`,
  flags: (id, branchId) => `/rating-periods/${id}/peer-flags${qs({ branch_id: branchId, size: 100 })}`,
  discardFlag: (id, flagId) => `/rating-periods/${id}/peer-flags/${flagId}/discard`,
  assessments: (id, q) => `/rating-periods/${id}/assessments${qs({ size: 100, ...q })}`,
  assessment: (id, kind, subjectId) => `/rating-periods/${id}/assessments/${kind}/${subjectId}`,
  compute: (id) => `/rating-periods/${id}/compute`,
  results: (id, q) => `/rating-periods/${id}/results${qs({ size: 100, ...q })}`,
  breakdown: (id, memberId) => `/rating-periods/${id}/results/${memberId}/breakdown`,
  approveMembers: (id, branchId) => `/rating-periods/${id}/branches/${branchId}/approve`,
  approveResult: (resultId) => `/rating-results/${resultId}/approve`,
  change: (resultId) => `/rating-results/${resultId}/change`,
  branches: (id) => `/rating-periods/${id}/branches${qs({ size: 100 })}`,
  publish: (id) => `/rating-periods/${id}/publish`,
  honours: (q) => `/rating-honours${qs({ size: 100, ...q })}`,
  nominate: () => '/rating-honours',
  closedPledges: (branchId, year, page) =>
    `/pledges${qs({ unit_id: branchId, status: 'closed', year, page, size: 50 })}`,
  selectHonour: (honourId) => `/rating-honours/${honourId}/select`,
  unselectHonour: (honourId) => `/rating-honours/${honourId}/unselect`,
  starBoards: (unitId) => `/boards${qs({ kind: 'stars', unit_id: unitId, size: 5 })}`,
  candidates: (q) => `/rating-honours/candidates${qs({ size: 100, ...q })}`,
}

// ---- words ----
export const PERIOD_STATUS = {
  draft: '草稿',
  open: '自评互评中',
  assessing: '组织考评中',
  computed: '已核算，待审定',
  approved: '已审定，待发布',
  published: '已发布',
}
export const PERIOD_TONE = {
  draft: 'grey',
  open: 'red',
  assessing: 'orange',
  computed: 'blue',
  approved: 'blue',
  published: 'green',
}
export const ACTION_WORD = {
  open: '开始自评互评',
  reopen: '退回草稿',
  close_reviews: '结束互评，进入组织考评',
  back_to_reviews: '退回自评互评',
  compute: '核算得分',
  recompute: '重新核算',
  back_to_assessing: '退回组织考评',
  approve: '审定',
  unapprove: '撤销审定',
  publish: '发布',
}
// going back a step needs a reason
export const BACKWARD = ['reopen', 'back_to_reviews', 'back_to_assessing', 'unapprove']
const CN_DIGIT = ['零', '一', '二', '三', '四', '五']
export const starsWord = (n) => `${CN_DIGIT[n] || n}星`
export const levelName = (n, kind = 'member') => (kind === 'branch' ? `${starsWord(n)}党支部` : `${starsWord(n)}级党员`)
export const starsText = (n) => (n ? '★'.repeat(n) + '☆'.repeat(Math.max(0, 5 - n)) : '')

const QUARTER = ['', '第一季度', '第二季度', '第三季度', '第四季度']
export function periodLabel(p) {
  if (!p) return ''
  if (p.title || p.label) return p.title || p.label
  return p.kind === 'year' ? `${p.year}年度` : `${p.year}年${QUARTER[p.quarter] || ''}`
}

// peer reviews are sent as tapped: 1–5 stars (Vant Rate; the server maps them to 0/25/50/75/100)
// or 0–100 points, by the period's policy (the review sheet's `scale`)
export const usesStars = (sheetOrPeriod) =>
  (sheetOrPeriod?.scale || sheetOrPeriod?.policy?.peer_scale || 'stars') !== 'points'

// ---- who is asking ----
export const isCommittee = computed(() => roles.value.admin.length > 0)
export const secretaryBranches = computed(() => roles.value.secretary.map((g) => ({ id: g.unit_id, name: g.unit_name })))
export const myMemberId = computed(() => session.me?.member?.id ?? null)
export const myBranchId = computed(() => session.me?.member?.branch_id ?? null)

export function itemsOf(data) {
  if (!data) return []
  return Array.isArray(data) ? data : data.items || []
}

/** The period members act on now: an open one first, else the newest. */
export function currentPeriod(list) {
  const items = itemsOf(list)
  return items.find((p) => p.status === 'open') || items.find((p) => p.status !== 'draft') || null
}

// the step's deadline: review (self statements and peer reviews), assessment, approval
export const deadlineOf = (period, step = 'review') => period?.[`${step}_due`] || null

// ---- writes: through the outbox (the screens call lib/send.js's sendNow with these ops) ----
/** Queued (not yet sent) peer reviews of a period, by reviewee: the newest value wins. */
export function pendingReviews(items, periodId) {
  const out = {}
  for (const i of items) {
    if (i.kind === 'peer_review' && i.meta?.periodId === periodId) out[i.meta.revieweeId] = i
  }
  return out
}

/**
 * How many peers of the whole sheet (every page) I have reviewed: the server's list of those done,
 * with what waits in the outbox and what was sent from this phone since (`saved`: member → value).
 */
export function reviewedCount(sheet, pending = {}, saved = {}) {
  const done = new Set(sheet?.reviewed || [])
  for (const p of sheet?.peers || []) if (p.value != null) done.add(p.member_id)
  for (const id of Object.keys(pending)) done.add(Number(id))
  for (const [id, v] of Object.entries(saved)) if (v != null) done.add(Number(id))
  return Math.max(done.size, sheet?.given ?? 0)
}

export function reviewOp(periodId, peer, value, stars = true) {
  return {
    kind: 'peer_review',
    method: 'PUT',
    path: paths.review(periodId, peer.member_id),
    json: { value },
    label: `互评「${peer.name}」${stars ? starsWord(value) : `${value} 分`}`,
    meta: { periodId, revieweeId: peer.member_id, value },
  }
}
