# The aims-gate GitHub App. Built as the two packages npm would pack (aims-gate, whose policies, schemas and
# reference the App reads, and @aims-gate/app, the App's bundle), then installed for production only from the
# lockfile and run as an unprivileged user. test/app-package.test.ts does what this image does (pack,
# production install in a clean folder, start, /health/ready), since Docker does not run where the project is
# tested.
#   docker build -t aims-gate .      docker compose up (compose.yaml: two replicas and Redis with AOF)

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
# npm ci runs `prepare`, which builds lib/ and app/lib/app.js; each package is what its `files` lists.
RUN npm ci --no-audit --no-fund \
  && mkdir -p /tmp/cli /tmp/app \
  && npm pack --ignore-scripts --pack-destination /tmp/cli \
  && npm pack --workspace @aims-gate/app --ignore-scripts --pack-destination /tmp/app

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /srv
# The aims-gate package at /srv and the App package in /srv/app, as in the repository, so the App finds the
# data files above it; then the App's dependencies at the versions the lockfile pins, without the development
# ones (no scripts: `prepare` builds, and the builds are already in the packages). app.yml is the manifest
# Probot's setup page registers the App from (it reads it from the working directory).
COPY --from=build /tmp/cli /tmp/cli
COPY --from=build /tmp/app /tmp/app
COPY --from=build /src/package-lock.json /src/app.yml /srv/
RUN mkdir app && tar xzf /tmp/cli/*.tgz --strip-components=1 -C /srv \
  && tar xzf /tmp/app/*.tgz --strip-components=1 -C /srv/app && rm -r /tmp/cli /tmp/app \
  && npm ci --omit=dev --ignore-scripts --workspace @aims-gate/app --no-audit --no-fund && npm cache clean --force
# Root owns the installed files; the App runs as `node` and cannot change them.
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 3000}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "app/lib/app.js"]
