# The pipeline's image: one image, one stage per container (`newsflow run --stage ...`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY adapters adapters
COPY ingest ingest
COPY newsflow newsflow
COPY schemas schemas
COPY services services
COPY workers workers
COPY demo demo
COPY config config
RUN pip install --no-cache-dir .
# Installed as a package, newsflow cannot find the checkout's config/ on its own.
ENV NEWSFLOW_TAG_RULES_FILE=/app/config/tag-rules.toml
USER nobody
ENTRYPOINT ["newsflow"]
