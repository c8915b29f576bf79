// Names for controls Vant renders without one (axe: label, aria-input-field-name): the file input
// inside <van-uploader> and the role="slider" handle of <van-slider>. A slider takes the aria-label
// given to its <van-slider> (which Vant puts on the wrapper); an uploader its wrapper's aria-label,
// else "选择照片". Watches the document, so every screen (and every later render) is covered.
const DEFAULT_UPLOAD = '选择照片'

export function nameControls(root = document) {
  root.querySelectorAll('.van-uploader__input:not([aria-label])').forEach((el) => {
    const named = el.closest('[aria-label]')
    el.setAttribute('aria-label', named?.getAttribute('aria-label') || DEFAULT_UPLOAD)
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
