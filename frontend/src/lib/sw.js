// The service worker caches the app shell for starting offline where browsers allow it. iOS
// WeChat has none: everything else works without it.
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return
  if (import.meta.env.DEV) return
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {})
  })
}
