# gtsms image for servers (web, worker and beat share it). Not used by `make run` or `make test`.
FROM python:3.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 UV_PROJECT_ENVIRONMENT=/app/.venv PATH=/app/.venv/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN DJANGO_SETTINGS_MODULE=gtsms.settings.prod DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build \
    DATABASE_URL=postgres://build@localhost/build CELERY_BROKER_URL=redis://localhost/0 \
    python manage.py collectstatic --noinput
RUN useradd --create-home gtsms && mkdir -p /app/var/media && chown -R gtsms /app/var
USER gtsms
EXPOSE 8000
CMD ["gunicorn", "gtsms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30"]
