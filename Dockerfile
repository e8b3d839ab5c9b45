# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM node:22-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENVIRONMENT=production
WORKDIR /app
# Fonts the composer draws text with (creatives/studio/compose/text.py): DejaVu for Latin,
# Greek and Cyrillic; Noto CJK for Chinese, Japanese and Korean; emoji as colour (Noto) and
# as outlines (Symbola, the ones libass can draw into videos); fontconfig for libass.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fontconfig fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji fonts-symbola \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 prosocial
COPY pyproject.toml README.md ./
COPY prosocial ./prosocial
COPY accounts ./accounts
COPY campaigns ./campaigns
COPY creatives ./creatives
COPY meta_integration ./meta_integration
COPY publishing ./publishing
COPY privacy ./privacy
COPY meta_sandbox ./meta_sandbox
RUN pip install --no-cache-dir .
COPY . .
COPY --from=assets /app/node_modules ./node_modules
# collectstatic needs settings to import; these throwaway values never reach runtime.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEYS=$(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
    python manage.py collectstatic --noinput
USER prosocial
EXPOSE 8000
CMD ["gunicorn", "prosocial.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
