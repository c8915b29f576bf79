// Chinese words for the API's codes. The server's own words (GET /pledges/vocabulary) replace the
// tables below after sign-in and are kept on the phone for starting offline (lib/vocabulary.js);
// what is written here is only what a phone shows before it ever reached the server. One small
// table instead of an i18n library: the UI is Simplified Chinese only.
import { reactive } from 'vue'

export const STATUS = reactive({
  draft: '草稿',
  submitted: '待审核',
  approved: '待公示',
  published: '践诺中',
  revising: '修改待审核',
  closing: '申请销诺',
  closed: '已销诺',
  withdrawn: '已撤回',
  cancelled: '已取消',
})

// chip colours, each ≥ 4.5:1 with white text
export const STATUS_TONE = {
  draft: 'grey',
  submitted: 'orange',
  approved: 'blue',
  published: 'red',
  revising: 'orange',
  closing: 'orange',
  closed: 'green',
  withdrawn: 'grey',
  cancelled: 'grey',
}

export const CATEGORY = reactive({
  post_duty: '岗位职责',
  public_service: '为民服务',
  pairing: '结对帮扶',
  collective: '集体承诺',
  other: '其他',
})

export const OUTCOME = reactive({
  kept: '已兑现',
  partly_kept: '部分兑现',
  not_kept: '未兑现',
})

export const ACTION = reactive({
  create: '起草承诺',
  edit: '修改草稿',
  submit: '报诺',
  approve: '定诺',
  return: '退回',
  publish: '亮诺公示',
  withdraw: '撤回',
  cancel: '取消承诺',
  request_close: '申请销诺',
  close: '销诺',
  reopen: '重新践诺',
  revise: '申请修改',
  progress: '践诺进展',
  note: '监督意见',
})

// what an action needs besides the click: a reason (return, cancel …), an outcome (close)
export const NEEDS = reactive({
  reason: ['return', 'close', 'reopen', 'cancel'],
  outcome: ['close'],
})
export const needsReason = (action) => NEEDS.reason.includes(action)
export const needsOutcome = (action) => NEEDS.outcome.includes(action)

export function fmtDate(v) {
  if (!v) return ''
  const d = new Date(v.length === 10 ? v + 'T00:00:00' : v)
  if (isNaN(d)) return v
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`
}

export function fmtTime(v) {
  if (!v) return ''
  const d = new Date(v)
  if (isNaN(d)) return v
  const now = new Date()
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
  if (d.toDateString() === now.toDateString()) return `今天 ${hm}`
  const y = d.getFullYear() === now.getFullYear() ? '' : `${d.getFullYear()}年`
  return `${y}${d.getMonth() + 1}月${d.getDate()}日 ${hm}`
}

export function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}
