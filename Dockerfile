# syntax=docker/dockerfile:1
# 亮诺 Liangnuo — the production image: the PWA built by Node, the service on a slim Python runtime.
#   docker build -t liangnuo .        (or: docker compose up -d --build, see compose.yaml)

# ---- 1. the PWA → /src/frontend/dist (an empty dist while frontend/ has no package.json)
FROM node:20-slim AS frontend
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then \
      npm ci --no-audit --no-fund --loglevel=error && npm run build; \
    else \
      mkdir -p dist; \
    fi

# ---- 2. the service and its dependencies in a virtualenv (wheels only; nothing to compile)
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app/ app/
RUN pip install .

# ---- 3. the runtime
FROM python:3.11-slim AS runtime
# pango for the board posters (WeasyPrint); Noto CJK so Chinese renders in the PDFs
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system liangnuo \
 && useradd --system --gid liangnuo --home-dir /app --no-create-home --shell /usr/sbin/nologin liangnuo \
 && mkdir -p /data \
 && chown liangnuo:liangnuo /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The source tree is what runs: the app finds alembic.ini, migrations/ and frontend/dist next to app/
# (PYTHONPATH puts /app ahead of the copy pip installed into the virtualenv).
COPY alembic.ini ./
COPY migrations/ migrations/
COPY app/ app/
COPY --from=frontend /src/frontend/dist/ frontend/dist/

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LIANGNUO_VAR_DIR=/data
# /data: the SQLite database when no LIANGNUO_DATABASE_URL is given, uploads, generated secrets
VOLUME ["/data"]
USER liangnuo
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Settings come from LIANGNUO_* variables (see README.md); the schema is brought to head on every start.
CMD ["sh", "-c", "liangnuo migrate && exec liangnuo serve --host 0.0.0.0 --port 8000"]
