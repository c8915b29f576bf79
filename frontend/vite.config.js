import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import { compression, defineAlgorithm } from 'vite-plugin-compression2'
import { constants as zlib } from 'node:zlib'

// Vant inlines its icon font as a base64 data: URL (with a CDN fallback). The app's CSP allows
// fonts from 'self' only, and the inlined font would weigh ~30 KB gzipped on the first screen:
// write it out as a cacheable file instead and drop the CDN URL.
function vantIconFontAsFile() {
  const DATA_FONT = /url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)/
  const CDN_FALLBACK = /,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\("(?:woff|truetype)"\)/g
  return {
    name: 'vant-icon-font-as-file',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const asset of Object.values(bundle)) {
        if (asset.type !== 'asset' || !asset.fileName.endsWith('.css')) continue
        let css = String(asset.source)
        const m = css.match(DATA_FONT)
        if (!m) continue
        const ref = this.emitFile({ type: 'asset', name: 'vant-icon.woff2', source: Buffer.from(m[1], 'base64') })
        css = css.replace(DATA_FONT, `url(/${this.getFileName(ref)})`).replace(CDN_FALLBACK, '')
        asset.source = css
      }
    },
  }
}

// The app is served by FastAPI at "/" (app/main.py); `npm run dev` proxies the API to `make run`.
export default defineConfig({
  plugins: [
    vue(),
    vantIconFontAsFile(),
    // Vant components and their CSS are imported on demand, only where a template uses them
    Components({ resolvers: [VantResolver()], dts: false }),
    VitePWA({
      strategies: 'generateSW',
      registerType: 'autoUpdate',
      injectRegister: false, // registered by src/lib/sw.js (no inline script: the CSP forbids it)
      manifest: {
        name: '亮诺 · 党员公开承诺',
        short_name: '亮诺',
        description: '党员公开承诺：报诺、定诺、亮诺、践诺、销诺',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#c8161d',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // the app shell only: API answers are private (no-store) and cached by the app itself
        globPatterns: ['**/*.{js,css,html,png,svg,woff2,woff,ttf}'],
        // the dashboard's charts (ECharts, ~140 KB brotli) are for secretaries and the committee: fetched
        // when the screen is opened, never precached onto every member's phone
        globIgnores: ['**/Dashboard-*'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/b\//, /^\/healthz/, /^\/readyz/, /^\/media\//, /^\/uploads\//],
        cleanupOutdatedCaches: true,
      },
    }),
    // every text file also as .br and .gz beside it, made once here at the strongest settings; the
    // server sends the stored bytes to a client that accepts them (app/core/http_static.py). Last, so
    // the service worker and the web manifest written by VitePWA are compressed too.
    compression({
      include: /\.(html|js|mjs|css|svg|json|webmanifest|txt|xml|ico)$/,
      threshold: 1024,
      algorithms: [
        defineAlgorithm('brotliCompress', { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
        defineAlgorithm('gzip', { level: 9 }),
      ],
      logLevel: 'silent',
    }),
  ],
  build: {
    target: 'es2019',
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000', '/b': 'http://127.0.0.1:8000' },
  },
})
