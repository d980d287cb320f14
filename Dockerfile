# One image for every process; docker-compose.yml picks the command (migrate, a service, the gateway).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPSANDBOX_DATA_DIR=/data

WORKDIR /app

# Editable install: alembic.ini and each service's migrations/ are read from the source tree.
COPY . .
RUN pip install --upgrade pip \
    && pip install -e . \
    && useradd --system --uid 10001 --home-dir /data --create-home mpsandbox

USER mpsandbox
EXPOSE 8000
CMD ["python", "-m", "uvicorn", "gateway.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
