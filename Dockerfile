# syntax=docker/dockerfile:1
# Tobira: Node 24 runs the TypeScript sources directly (type stripping), so there is no build step;
# the first stage only installs the production dependencies. argon2 ships prebuilt binaries in its
# npm package, so no compiler is needed. No secret is baked in: pass SECRET_KEY, DATABASE_URL and
# the rest at run time. scripts/container-smoke.sh runs these same steps without a Docker engine.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund \
  && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production DATA_DIR=/data
# Memory (README, "Memory"): glibc maps each argon2id hash's 19 MiB block on its own (in transparent
# huge pages) and gives it back after the hash, instead of every thread keeping one; with the smaller
# young generation in CMD this keeps RSS after 10,000 sign-ins under 250 MB. GLIBC_TUNABLES= turns it off.
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576
WORKDIR /app
# A dedicated unprivileged user (numeric, so that runAsNonRoot-style checks can verify it). The app
# files stay owned by root and read-only to it; only /data is writable.
RUN groupadd --system --gid 10001 tobira \
  && useradd --system --uid 10001 --gid tobira --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin tobira \
  && mkdir -p /data \
  && chown tobira:tobira /data \
  && chmod 0700 /data
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY views ./views
COPY migrations ./migrations
COPY public ./public
COPY bin ./bin
USER 10001:10001
# The embedded database (when DATABASE_URL is unset) and the generated secret key live here.
VOLUME ["/data"]
EXPOSE 3000
# slim has no curl: ask Node itself (liveness only; /readyz also checks the database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=16", "src/main.ts"]
