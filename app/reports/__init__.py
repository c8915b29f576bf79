"""Data in and out, and the committee's view (issue 12): roster import, ledger and dossier export,
statistics and backups. The top of the house: it reads every domain through their services and
nothing reads it."""
