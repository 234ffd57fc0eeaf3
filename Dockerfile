# The production image: web (gunicorn), Celery worker and celery beat all run from it
# (docker-compose.yml picks the command). Configuration comes only from the environment.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

# uv comes from PyPI, the same tool `make` bootstraps; pinned so that images are reproducible.
RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app

# Dependencies first, in their own layer: code changes do not reinstall them.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Static files are collected (hashed and compressed for WhiteNoise) at build time, so the
# containers need no writable static folder. The values below exist only for this step.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && rm -rf /app/var

# An unprivileged user owns only var/ (beat's schedule file; the embedded fallbacks).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin coop \
    && mkdir -p /app/var \
    && chown coop /app/var
USER coop

EXPOSE 8000
# Liveness only: /readyz (database and broker) is for the load balancer. Django checks the
# Host header, so the probe sends the first allowed host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Workers: WEB_CONCURRENCY (gunicorn reads it; default 1); more options in GUNICORN_CMD_ARGS.
# No control socket: its default path is under $HOME, which the unprivileged user cannot write.
CMD ["gunicorn", "coop.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", \
     "--no-control-socket"]
