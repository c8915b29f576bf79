// 述职评议 in the PWA: the API's paths and the words of rounds and their steps. The screens show what
// the server allows (each round's and report's `allowed_actions`), never a copied table.
import { qs } from '../../lib/api'

export const debriefPaths = {
  rounds: (q = {}) => `/debrief-rounds${qs({ size: 50, ...q })}`,
  round: (id) => `/debrief-rounds/${id}`,
  action: (id, action) => `/debrief-rounds/${id}/${action}`,
  events: (id) => `/debrief-rounds/${id}/events${qs({ size: 100 })}`,
  reports: (id, q = {}) => `/debrief-rounds/${id}/reports${qs({ size: 100, ...q })}`,
  mine: () => `/debrief-reports/mine${qs({ size: 20 })}`,
  report: (id) => `/debrief-reports/${id}`,
  submit: (id) => `/debrief-reports/${id}/submit`,
  score: (id) => `/debrief-reports/${id}/scores/mine`,
  publish: (id, on) => `/debrief-reports/${id}/${on ? 'publish' : 'unpublish'}`,
  slips: (id) => `/debrief-reports/${id}/slips`,
}

export const ROUND_TONE = { draft: 'grey', open: 'red', scheduled: 'orange', scoring: 'blue', closed: 'green' }

export const ROUND_ACTION = {
  open: '开始收取述职报告',
  back_to_draft: '退回草稿',
  schedule: '安排述职会',
  back_to_open: '退回收取报告',
  start_scoring: '开始评议打分',
  back_to_scheduled: '退回述职会安排',
  close: '结束评议',
  reopen_scoring: '重新打开评议',
}
// going back a step needs a reason
export const ROUND_BACKWARD = ['back_to_draft', 'back_to_open', 'back_to_scheduled', 'reopen_scoring']

export function fmtDateTime(value) {
  if (!value) return ''
  const d = new Date(value)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** A report's state in words: submitted (late or on time), missing, overdue. */
export function reportState(r) {
  if (r.submitted_at) return r.late ? { text: '逾期提交', tone: 'orange' } : { text: '已提交', tone: 'green' }
  return r.overdue ? { text: '逾期未交', tone: 'red' } : { text: '未提交', tone: 'grey' }
}

/** A report's result in words: the combined score, then its two parts (the server's aggregates). */
export function resultText(result) {
  if (!result || result.combined == null) return '尚无评分'
  const parts = [`党委成员 ${result.scorers} 人评分${result.score != null ? ` ${result.score} 分` : ''}`]
  if (result.representatives) parts.push(`代表评议 ${result.representatives} 张 ${result.representative_score} 分`)
  return `综合得分 ${result.combined} 分（${parts.join('，')}）`
}
