# Từng Nhà: Node builds the PWA, Python serves it and the API.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund || npm install --no-save --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    DATABASE_URL=sqlite:////var/lib/tungnha/tungnha.db \
    FRONTEND_DIST=/app/frontend/dist
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY app/ app/
COPY migrations/ migrations/
COPY alembic.ini ./
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --system --uid 10001 --home /var/lib/tungnha --create-home tungnha
COPY --from=frontend /src/frontend/dist /app/frontend/dist
USER tungnha
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status == 200 else 1)"
# Configuration comes from the environment: DATABASE_URL, SECRET_KEY (required), CORS_ORIGINS, …
CMD ["sh", "-c", "tungnha migrate && tungnha serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
