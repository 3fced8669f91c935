# The pipeline's image: one image, one stage per container (`newsflow run --stage ...`).
# The text hot paths (native/) are Rust: built into a wheel in a stage of their own.
FROM python:3.11-slim AS native
RUN apt-get update && apt-get install -y --no-install-recommends curl gcc libc6-dev \
    && curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
ENV PATH=/root/.cargo/bin:$PATH
COPY native /native
RUN pip wheel --no-cache-dir /native -w /wheels

FROM python:3.11-slim
WORKDIR /app
COPY --from=native /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl
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
