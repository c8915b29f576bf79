// 党员群众代表测评 and 季度自评 in the PWA: the API's paths, the words, and the PDF download (the slip
// sheet's codes exist only in that answer, so it is fetched, not queued). The screens show what the
// server allows (a self-evaluation's `allowed_actions`), never a copied table.
import { API, qs, refreshSession } from '../../lib/api'
import { session, refreshToken } from '../../lib/session'

export const appraisalPaths = {
  branches: (q = {}) => `/appraisal/branches${qs({ size: 100, ...q })}`,
  panel: (branchId, q = {}) => `/appraisal/branches/${branchId}/representatives${qs({ size: 100, ...q })}`,
  representative: (id) => `/appraisal/representatives/${id}`,
  slips: (branchId) => `/appraisal/branches/${branchId}/slips`,
  counts: (branchId, year) => `/appraisal/branches/${branchId}/slip-counts${qs({ year })}`,
  self: (branchId, year, quarter) => `/appraisal/branches/${branchId}/self-evaluations/${year}/${quarter}`,
  selfList: (year, quarter) => `/appraisal/self-evaluations${qs({ year, quarter, size: 100 })}`,
}

export const KIND = { party: '党员代表', masses: '群众代表' }
export const SELF_STATUS = { draft: '填写中', submitted: '已提交' }

export function thisQuarter(now = new Date()) {
  return { year: now.getFullYear(), quarter: Math.floor(now.getMonth() / 3) + 1 }
}

export function monthChoices(now = new Date()) {
  const y = now.getFullYear()
  const m = now.getMonth() + 1
  const next = m === 12 ? { year: y + 1, month: 1 } : { year: y, month: m + 1 }
  return [
    { year: y, month: m, text: `本月（${y}年${m}月）` },
    { ...next, text: `下月（${next.year}年${next.month}月）` },
  ]
}

/** POST for a PDF with the bearer token (one refresh on 401); the answer's headers come along. */
export async function postForPdf(path, json) {
  const go = () =>
    fetch(API + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify(json),
      cache: 'no-store',
    })
  let res
  try {
    if (!session.accessToken && refreshToken()) await refreshSession()
    res = await go()
    if (res.status === 401 && refreshToken()) {
      await refreshSession()
      res = await go()
    }
  } catch {
    throw { network: true, detail: '网络不通，测评票没有打印。请联网后再试。' }
  }
  if (!res.ok) {
    let body = {}
    try {
      body = await res.json()
    } catch {
      /* not JSON */
    }
    throw { detail: body.detail || `请求失败（${res.status}）`, code: body.code }
  }
  return { blob: await res.blob(), count: Number(res.headers.get('X-Slip-Count') || 0), voided: Number(res.headers.get('X-Slips-Voided') || 0) }
}
