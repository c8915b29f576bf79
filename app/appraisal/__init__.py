"""The appraisal practice around the stars (issue 14): representatives' monthly evaluation with
one-time slips, branches' quarterly self-evaluation, and — in their own modules — 述职评议 (debrief*),
branch tiers by 五好 and 十佳支书 (tiers*), the public 比学赶超 ranking (ranking*).

Sits between ratings and boards: it reads ratings (policy, periods) and everything below, and boards
and reports may read it.
"""

from app.appraisal import feed as _feed  # the ratings' inputs, registered once on import
from app.appraisal import history as _history  # the daily digests cover the appraisal chains

_feed.register()
_history.register()
