// 党支部分类（五好）与比学赶超排行榜 in the PWA: the API's paths and a few words. The screens show what the
// server allows (each tier's and step's `allowed_actions`), never a copied table.
import { qs } from '../../lib/api'

export const tierPaths = {
  list: (q = {}) => `/branch-tiers${qs({ size: 100, ...q })}`,
  one: (id) => `/branch-tiers/${id}`,
  propose: () => '/branch-tiers/propose',
  items: (id) => `/branch-tiers/${id}/items`,
  action: (id, action) => `/branch-tiers/${id}/${action}`,
  events: (id) => `/branch-tiers/${id}/events`,
  steps: (id) => `/branch-tiers/${id}/steps`,
  step: (id, stepId, action) => `/branch-tiers/${id}/steps/${stepId}/${action}`,
  secretaryHonour: () => '/rating-honours/secretaries',
  rankings: (q = {}) => `/rankings${qs({ size: 50, ...q })}`,
  preview: (q) => `/rankings/preview${qs(q)}`,
  publish: () => '/rankings',
  withdraw: (id) => `/rankings/${id}/withdraw`,
}

export const TIERS = [
  { key: 'advanced', label: '先进' },
  { key: 'ordinary', label: '一般' },
  { key: 'backward', label: '后进' },
]
export const TIER_TONE = { advanced: 'green', ordinary: 'blue', backward: 'red' }
export const STATUS_TONE = { proposed: 'orange', approved: 'green', rectifying: 'red', lifted: 'blue' }
export const STEP_TONE = { planned: 'orange', done: 'green', dropped: 'grey' }

export const TIER_ACTION = {
  approve: '审定',
  change: '调整分类',
  reopen: '退回待审定',
  rectify: '开始整顿',
  lift: '摘帽子',
}
