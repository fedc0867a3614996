# One image definition for both services (targets `central` and `store-node`). The build stage bundles
# each service with esbuild (`npm run build`: store-node/dist, central/dist) and then drops the dev
# dependencies, so the image runs plain `node` on the bundles, without tsx or the test tooling.
# docker compose builds both targets; by hand: docker build --target central -t stocksync/central .

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 normally downloads a prebuilt binary; the toolchain is the fallback.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY shared/package.json shared/
COPY store-node/package.json store-node/
COPY central/package.json central/
COPY scripts/package.json scripts/
RUN npm ci --no-audit --no-fund
COPY shared shared
COPY store-node store-node
COPY central central
COPY scripts/src/build.ts scripts/src/
# Migrations (*/drizzle) and the dashboard's assets (central/src/dashboard) are read at run time
# from the package directory, so the packages are copied whole.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
# A fresh named volume takes this directory's owner, so the unprivileged user can write to it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]

FROM runtime AS central
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "central/dist/server.js"]

FROM runtime AS store-node
ENV PORT=7001
EXPOSE 7001
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "store-node/dist/server.js"]
