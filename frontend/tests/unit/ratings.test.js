// The review sheet's progress (已评 12 / 15) over every page of a large branch: the server's list of
// peers done, with what waits in the outbox and what this phone sent since.
import { describe, it, expect } from 'vitest'
import { reviewedCount, paths } from '../../src/lib/ratings.js'

describe('reviewedCount', () => {
  const sheet = { given: 3, expected: 150, reviewed: [2, 140, 149], peers: [{ member_id: 2, value: 4 }, { member_id: 3, value: null }] }

  it('counts the peers of every page the server says are done', () => {
    expect(reviewedCount(sheet)).toBe(3)
  })
  it('adds what waits in the outbox and what was sent since, each peer once', () => {
    const pending = { 3: { meta: { value: 5 } }, 140: { meta: { value: 2 } } }
    expect(reviewedCount(sheet, pending, { 3: 5, 7: 4 })).toBe(5)
  })
  it('never counts fewer than the server gave', () => {
    expect(reviewedCount({ given: 4, reviewed: [] })).toBe(4)
    expect(reviewedCount(null)).toBe(0)
  })
})

describe('paths.peers', () => {
  it('asks a page past the first by number', () => {
    expect(paths.peers(7)).toBe('/rating-periods/7/peer-reviews/mine')
    expect(paths.peers(7, 1)).toBe('/rating-periods/7/peer-reviews/mine')
    expect(paths.peers(7, 2)).toBe('/rating-periods/7/peer-reviews/mine?page=2')
  })
})
