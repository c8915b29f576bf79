"""Pledges (五诺). Other packages import `app.pledges.service` (the public functions), `models`,
`schemas` and `states`; the app's wiring imports `router`, `jobs` and `demo`. See service.py for the
modules inside and docs/pledges.md for the rules.
"""
