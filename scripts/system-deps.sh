#!/usr/bin/env bash
# Installs what the test suite needs from Debian, only when something is missing.
set -euo pipefail
need=()
# list first, then search: `producer | grep -q` under pipefail fails at random (grep quits early,
# the producer dies of SIGPIPE) and would ask for packages that are already there
fonts=$(fc-list 2>/dev/null || true)
libs=$(ldconfig -p 2>/dev/null || true)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
grep -qi "Noto Sans CJK" <<<"$fonts" || need+=(fonts-noto-cjk)
grep -q "libzbar.so" <<<"$libs" || need+=(libzbar0)
# WeasyPrint (board posters as PDF) loads pango through cffi
grep -q "libpangoft2-1.0.so" <<<"$libs" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
# bench/board.py and bench/static.py (run once by tests/test_benches.py): load from wrk, boards as
# static files behind nginx
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing system packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
