# syntax=docker/dockerfile:1
#
# vidproc: one image for every process type. The subcommand is the container's argument:
#
#   docker build -t vidproc .
#   docker run --rm vidproc --help
#   docker run -e AUTH_JWT_SECRET=... -p 3000:3000 vidproc          # api (the default)
#   docker run vidproc worker | bridge | migrate | videos stuck | dlq list | ...
#
# Configuration is the environment (README.md, "Configuration"). `vidproc dev` is not meant for the
# image: it wants the Temporal CLI, which is not in it (use docker-compose.yml for a whole stack).
#
# Node 22 on Debian (glibc): the Temporal SDK's native bridge (@temporalio/core-bridge) ships
# prebuilt x86_64/aarch64 *-unknown-linux-gnu binaries only, so no Alpine (musl).
# For a release build, pin the base by digest as well (node:22-bookworm-slim@sha256:...).

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: compile TypeScript and prebuild the workflow bundle ------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips, on purpose: the project's postinstall (the Temporal CLI from PyPI, for
# `vidproc dev` and the tests only) and the devDependency `node` (a second Node 22 for npm scripts;
# without its install script it installs no binary, so npm scripts run on this image's Node).
# Nothing the build needs has an install step: tsc is JavaScript, and the SWC binary that bundles the
# workflows comes as an optional dependency (@swc/core-linux-*-gnu), which npm installs either way.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-workflows.mjs ./scripts/
# Also writes dist/workflow-bundle.traced.js, with the tracing interceptors: a worker with OTEL_* set loads it.
RUN npm run build \
 && node scripts/bundle-workflows.mjs dist/workflow-bundle.js

# --- deps: production dependencies only ------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the only production packages with install scripts are @swc/core (postinstall
# checks its optional native binding; the worker does not bundle at run time, it loads the prebuilt
# bundle) and protobufjs (postinstall prints a version-scheme warning). The Temporal native bridge has
# no install step: its .node files ship inside the package (releases/<target>/index.node), one per
# platform; only this platform's is kept (the others are ~110 MB of macOS, Windows and other-arch builds).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && bridge=/app/node_modules/@temporalio/core-bridge \
 && target="$(node -p "require('$bridge/common.js').getPrebuiltTargetName()")" \
 && test -f "$bridge/releases/$target/index.node" \
 && find "$bridge/releases" -mindepth 1 -maxdepth 1 ! -name "$target" -exec rm -rf {} +

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="vidproc" \
      org.opencontainers.image.description="Video status tracker on Temporal: RabbitMQ events in, workflow state, Postgres projection, REST API out. One image: api | worker | bridge | migrate | operator CLI." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:22-bookworm-slim"

# tini as PID 1: forwards SIGTERM to node (which drains: the API finishes its requests, the bridge
# settles what is in flight, the worker finishes its tasks) and reaps zombies. Kubernetes has no
# `docker run --init`, so it has to be in the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    PORT=3000 \
    HOST=0.0.0.0

WORKDIR /app
# Owned by root and read-only for the process: vidproc writes nothing to disk.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The base image's `node` user, by number so that Kubernetes runAsNonRoot can check it.
USER 1000:1000

EXPOSE 3000

# No HEALTHCHECK: the same image runs the worker and the bridge, which serve no HTTP. Kubernetes uses
# probes on the api (GET /healthz for liveness, GET /readyz for readiness); docker-compose.yml puts a
# healthcheck on its api service only.

ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/main.js"]
CMD ["api"]
