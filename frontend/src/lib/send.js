// One write from a screen: hand it to the outbox, wait a little for the answer, and tell the person.
// - sent: the success toast (when the screen gives one);
// - still waiting (offline, server busy): "saved on the phone" — it goes out by itself later;
// - refused for good (4xx): the item is discarded, because the screen still holds what was typed
//   and the person fixes it there; the caller shows the error where it belongs.
import { enqueue, waitFor, discard } from './outbox'
import { showToast, showSuccessToast, toastError } from './ui'

export const QUEUED = '已保存在手机上，联网后自动发送'

/**
 * sendNow(op | [op, …], { wait, sent, queued, toastFailure }) → { state, result, etag, error }
 *
 * With several ops they are queued in order and the first one is waited for; an op with
 * `ref: true` refers to the first (its path holds "{ref}": submit a draft created just now).
 * `sent` is the success message, or a function of the outcome that returns it; `queued: ''` says
 * nothing when it is still waiting (the caller decides). `id` is the outbox item's (to discard it).
 */
export async function sendNow(ops, { wait = 15000, sent, queued = QUEUED, toastFailure = false } = {}) {
  const [first, ...rest] = Array.isArray(ops) ? ops : [ops]
  const item = await enqueue(first)
  for (const op of rest) await enqueue(op.ref === true ? { ...op, ref: item.id } : op)
  const outcome = await waitFor(item.id, wait)
  if (outcome.state === 'failed') {
    await discard(item.id) // (and whatever referred to it)
    if (toastFailure) toastError(outcome.error)
  } else if (outcome.state === 'sent') {
    const message = typeof sent === 'function' ? sent(outcome) : sent
    if (message) showSuccessToast(message)
  } else {
    if (queued) showToast({ message: queued, duration: 3000 })
  }
  return { ...outcome, id: item.id }
}
