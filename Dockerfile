# Production-shaped image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    POND_VAR_DIR=/var/lib/pond POND_STATIC_ROOT=/app/staticfiles \
    POND_STATIC_FINDERS=0 \
    POND_STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage

WORKDIR /app
COPY pyproject.toml README.md ./
COPY webui ./webui
COPY registry ./registry
COPY templates ./templates
COPY static ./static
COPY manage.py ./
# `--build-arg POND_EXTRAS=jfrog-platform` adds JFrog's SDK, for JFROG_ML_PROTOCOL=grpc.
ARG POND_EXTRAS=""
RUN pip install --no-cache-dir ".${POND_EXTRAS:+[$POND_EXTRAS]}" \
    && useradd --system --home /app pond \
    && mkdir -p /var/lib/pond/metrics && chown -R pond /var/lib/pond \
    && DJANGO_SECRET_KEY=collectstatic-only POND_VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

USER pond
EXPOSE 8000
# Worker processes: $WEB_CONCURRENCY (gunicorn reads it; compose sets it, default 3).
ENV WEB_CONCURRENCY=3
# The logger class keeps share-link tokens out of the access and error logs; the
# config's child_exit hook tells /metrics when a worker died (webui/metrics/).
CMD ["gunicorn", "webui.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", \
     "--logger-class", "webui.core.gunicorn_logging.RedactingLogger", \
     "--config", "python:webui.metrics.gunicorn_hooks"]
