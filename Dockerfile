# The image the action runs in. A release pushes it to ghcr.io and pins action.yml to its digest, so
# users' jobs pull it; on main action.yml keeps `image: Dockerfile` and the runner builds this file.
# Dependencies (pinned) in one layer, the code in the next, so a code change rebuilds only the last.
#
# The base image is the official python:3.12-slim (Python 3.12.15, Debian trixie) pinned by the
# digest it had in early October 2026, as recorded in public Dockerfiles and `docker inspect` output
# that pin the official image (it could not be read from Docker Hub itself where this was written).
# Dependabot (.github/dependabot.yml, docker) proposes the new digest whenever the tag moves.
FROM python:3.12-slim@sha256:dddfd7e07f9d15aeeca61529320492139d21cac7f0070c00609243e51e4e0016

LABEL org.opencontainers.image.title="novu-sync-action" \
      org.opencontainers.image.description="Preview and sync Novu Framework workflows to Novu Cloud environments"

# Every module the action imports is compiled to bytecode below, at build time, by the interpreter
# that runs it; a container start only reads bytecode and writes nothing (PYTHONDONTWRITEBYTECODE).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The runner mounts the workspace over /github/workspace, so the code lives elsewhere.
WORKDIR /opt/novu-sync-action
COPY requirements.txt .
# The official image ships no .pyc at all, so the standard library is compiled too (its folder holds
# site-packages). unchecked-hash: the bytecode is used as it is, without comparing the source's
# mtime, which image layers and rebuilds do not preserve reliably; nothing here edits a source.
RUN pip install --no-compile --no-deps -r requirements.txt \
 && python -m compileall -q -j 0 --invalidation-mode unchecked-hash \
      "$(python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"

COPY entrypoint.py .
COPY novu_action/ novu_action/
# The command line (novu-sync plan|sync|ci) for GitLab CI and other CI systems, from any directory.
COPY bin/novu-sync /usr/local/bin/novu-sync
ENV PYTHONPATH=/opt/novu-sync-action
# entrypoint.py runs as __main__, which Python always compiles from source: it is ten lines.
RUN python -m compileall -q --invalidation-mode unchecked-hash novu_action

ENTRYPOINT ["python", "/opt/novu-sync-action/entrypoint.py"]
