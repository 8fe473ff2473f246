# The job workers (`python -m workers`) and the web application (`python -m web`) as one image, for
# docker-compose.yml (services `workers` and `web`) or on its own (`docker build -t pbj-workers .`). Three stages:
# the first builds the web application's task form (form-js) from the pinned npm lockfile with esbuild, the second
# installs the runtime dependencies and the PostgreSQL driver, read from pyproject.toml, into a virtual environment;
# the last copies that environment, the built form and the source onto a clean slim image and runs as an
# unprivileged user. The source runs from /app (not installed as a wheel) because the workers read templates/ next
# to their package.
ARG PYTHON_VERSION=3.11.15
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm-slim AS web-assets
ENV IBM_TELEMETRY_DISABLED=true
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/assets/ web/assets/
RUN npm run --silent build:web

FROM python:${PYTHON_VERSION}-slim-bookworm AS dependencies
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /build
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --requirement requirements.txt

FROM python:${PYTHON_VERSION}-slim-bookworm
LABEL org.opencontainers.image.title="pbj-workers" \
      org.opencontainers.image.description="Job workers of the PBJ e-procurement account SOPs (Camunda 8 / Zeebe)"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PBJ_DATA_DIR=/var/lib/pbj \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 pbj \
    && useradd --system --uid 10001 --gid pbj --home-dir /app --no-create-home --shell /usr/sbin/nologin pbj \
    && mkdir -p /var/lib/pbj \
    && chown pbj:pbj /var/lib/pbj
COPY --from=dependencies /opt/venv /opt/venv
WORKDIR /app
# Root-owned and read-only for the workers; only /var/lib/pbj (documents, archives) is theirs to write.
COPY pyproject.toml ./
COPY workers/ workers/
COPY engine/ engine/
COPY pbj/ pbj/
COPY templates/ templates/
COPY bpmn/ bpmn/
COPY web/ web/
COPY --from=web-assets /build/web/static/dist/ web/static/dist/
COPY deploy/workers_healthcheck.py deploy/
RUN python -m compileall -q workers engine pbj web deploy
USER 10001:10001
# Healthy while the worker process lives and reaches the Zeebe gateway, its database and its data directory.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/workers_healthcheck.py"]
CMD ["python", "-m", "workers"]
