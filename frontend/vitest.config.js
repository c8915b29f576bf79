// Vitest: the unit tests in tests/unit run in Node against a real HTTP server on 127.0.0.1 that
// each test starts (tests/unit/server.js), with IndexedDB from fake-indexeddb. `npm test`.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.js'],
    environment: 'node',
    setupFiles: ['tests/unit/setup.js'],
    testTimeout: 20000,
  },
})
