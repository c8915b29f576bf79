// 双报到: the moves on a registration, shared by the member's screen (Registration.vue) and the
// secretary's for a member (MemberRegistration.vue). Which moves a registration offers comes from
// the server (`allowed_actions`); this only names them and sends one.
import { sendNow } from './send'

export const ACTIONS = { accept: '接收报到', decline: '不予接收', withdraw: '撤回申请', end: '结束报到' }

export const actionLabel = (action) => ACTIONS[action] || action

// true when it went out (or was queued), false when it failed (the toast says why)
export async function moveRegistration(r, action, reason) {
  const label = actionLabel(action)
  const out = await sendNow(
    {
      kind: 'registration-move',
      label,
      path: `/registrations/${r.id}/${action}`,
      method: 'POST',
      json: reason ? { reason: reason.trim() } : {},
      ifMatch: `"${r.version}"`,
    },
    { sent: `已${label}`, toastFailure: true },
  )
  return out.state !== 'failed'
}
