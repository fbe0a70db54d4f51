# The aims-gate GitHub App. Built as the package npm would publish, then installed for production only and
# run as an unprivileged user. test/app-package.test.ts does what this image does (pack, production install
# in a clean folder, start, /health/ready), since Docker does not run where the project is tested.
#   docker build -t aims-gate .      docker compose up (compose.yaml: two replicas and Redis with AOF)

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
# npm ci runs `prepare`, which builds lib/ (the App is lib/app.js); the package is what `files` lists.
RUN npm ci --no-audit --no-fund && npm pack --ignore-scripts --pack-destination /tmp

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# The package's files, and its dependencies at the versions the lockfile pins, without the development ones
# (no scripts: `prepare` builds, and the build is already in the package).
COPY --from=build /tmp/aims-gate-*.tgz /tmp/
COPY --from=build /src/package-lock.json /app/
RUN tar xzf /tmp/aims-gate-*.tgz --strip-components=1 -C /app && rm /tmp/aims-gate-*.tgz \
  && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# Root owns the installed files; the App runs as `node` and cannot change them.
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "lib/app.js"]
