// Names for controls Vant renders without one (axe: label, aria-input-field-name, aria-dialog-name): the file input
// inside <van-uploader> and the role="slider" handle of <van-slider>. A slider takes the aria-label
// given to its <van-slider> (which Vant puts on the wrapper); an uploader its wrapper's aria-label,
// else "选择照片". Watches the document, so every screen (and every later render) is covered.
const DEFAULT_UPLOAD = '选择照片'

export function nameControls(root = document) {
  root.querySelectorAll('.van-uploader__input:not([aria-label])').forEach((el) => {
    const named = el.closest('[aria-label]')
    el.setAttribute('aria-label', named?.getAttribute('aria-label') || DEFAULT_UPLOAD)
  })
  // Vant's dialogs, popups and toasts carry role="dialog" without a name (axe: aria-dialog-name): the
  // dialog's title, else the toast's message, else "对话框"
  // (Vant's dialog puts its title's *text* in aria-labelledby, which names no element: replaced)
  root.querySelectorAll('[role="dialog"]:not([aria-label])').forEach((el) => {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
    if (ids.length && ids.every((id) => document.getElementById(id))) return
    const title = el.querySelector('.van-dialog__header, .van-toast__text, h2, h3')?.textContent?.trim()
    el.removeAttribute('aria-labelledby')
    el.setAttribute('aria-label', title || '对话框')
  })
  root.querySelectorAll('[role="slider"]:not([aria-label])').forEach((el) => {
    const named = el.parentElement?.closest('[aria-label]')
    el.setAttribute('aria-label', named?.getAttribute('aria-label') || '进度')
  })
}

export function watchControls() {
  if (typeof MutationObserver === 'undefined') return () => {}
  nameControls()
  let queued = false
  const obs = new MutationObserver(() => {
    if (queued) return
    queued = true
    queueMicrotask(() => {
      queued = false
      nameControls()
    })
  })
  obs.observe(document.body, { childList: true, subtree: true })
  return () => obs.disconnect()
}
