# The runner builds this image for every job that uses the action, so it stays small and cache-friendly:
# dependencies (pinned, with hashes of nothing downloaded at run time) in one layer, the code in the next.
FROM python:3.12-slim

LABEL org.opencontainers.image.title="novu-sync-action" \
      org.opencontainers.image.description="Preview and sync Novu Framework workflows to Novu Cloud environments"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The runner mounts the workspace over /github/workspace, so the code lives elsewhere.
WORKDIR /opt/novu-sync-action
COPY requirements.txt .
RUN pip install --no-compile --no-deps -r requirements.txt

COPY entrypoint.py .
COPY novu_action/ novu_action/

ENTRYPOINT ["python", "/opt/novu-sync-action/entrypoint.py"]
