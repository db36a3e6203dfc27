# Production image of the cv-pipeline CLI: `docker run IMAGE run --input FILE`, `classify TITLE`,
# `consume`, `work`, `serve`, ... (docker-compose.yml runs the streaming stack from it).
#
#   npm run models:encoder      # optional, before the build: the image then carries models/encoder/
#   docker build -t cv-pipeline .
#
# Two stages: `build` has every dependency (TypeScript, tsx, vitest, ...) and compiles src/ into
# dist/; `runtime` starts again from the bare base image with the production dependencies only and
# takes nothing from `build` but dist/. No `# syntax=` line on purpose: it would make BuildKit pull
# the docker/dockerfile frontend image from a registry on every build, and the built-in frontend
# understands everything used here.

# One base for both stages, so the native add-ons npm installs (onnxruntime-node, sharp, msgpackr)
# match the runtime's Node ABI and libc. Node 24 is the LTS the project targets (engines >=22);
# bookworm-slim rather than node:24-slim because the latter follows each new Debian release, and
# the prebuilt add-ons are tested against glibc, not whatever Debian comes next. Override with
# `--build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:...` to pin a digest.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The manifest, the lock and .npmrc first: this layer (the slow one) is cached until they change.
# .npmrc before `npm ci` so its ignore-scripts=true applies: onnxruntime-node's postinstall would
# download CUDA binaries from NuGet (no network for that in most build sandboxes, and the CPU build
# it ships in the package is all the pipeline uses); no dependency needs its install script.
# `npm ci`, not `npm install`: exactly the committed lock, or fail.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
# The whole (small, see .dockerignore) context rather than a hand-kept list: whatever `npm run build`
# reads (tsconfig files, src/, a build script) is there. Only dist/ leaves this stage.
COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Frameworks (fastify, pino, ...) take their production paths; it also keeps npm from installing
# devDependencies should someone drop the explicit --omit=dev below.
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies only (no tsx, vitest, drizzle-kit, playwright-core; typescript still comes
# along, because the lock marks it an optional peer of valibot, from @bull-board), from the
# same committed lock, with the same .npmrc (ignore-scripts) as the build stage. package.json also
# stays for Node itself: its "type": "module" makes dist/**/*.js ES modules. In the same layer, so
# they never reach the image: the npm cache, and onnxruntime-node's macOS and Windows libraries
# (about 220 MB of its 290; it loads bin/napi-v*/<platform>/<arch>/ only, and this is Linux).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && npm cache clean --force

# What the program reads at run time, and nothing else (no src/, test/, training/, docs/). The
# compiled code resolves ../../config, ../../models, ../../migrations and ../../sql from
# dist/<module>/, so these folders sit beside dist/ as they sit beside src/ in the repository.
# Owned by root and not writable by the `node` user that runs the program: code and models cannot
# be changed from inside the container.
#   models/ : the shipped ONNX ensemble, plus models/encoder/ (the sentence encoder, about 85 MB)
#             when `npm run models:encoder` ran before the build; without it the classifier serves
#             the pool fitted without the encoder members and says so in its log and /readyz.
#   examples/: sample input, so `docker run IMAGE run --input examples/profiles.json` works as is.
#   LICENSE : MIT asks for the notice to travel with copies of the software.
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
COPY sql ./sql
COPY migrations ./migrations
COPY models ./models
COPY examples ./examples
COPY scripts/docker-healthcheck.mjs ./scripts/docker-healthcheck.mjs
COPY LICENSE ./

# The embedded PGlite database (used when DATABASE_URL is unset) is the only thing the program
# writes. Give it a fixed, absolute place that the `node` user owns; mount a volume there to keep
# it (`-v cv-data:/app/.data`: a new named volume takes over this ownership). No VOLUME instruction:
# it would create an anonymous volume for every container, including the many that use Postgres.
ENV PGLITE_DIR=/app/.data/pglite
RUN mkdir -p /app/.data && chown node:node /app/.data

# Not root: the official image's `node` user, given by number (uid:gid 1000:1000) so that a
# runtime can verify it is not root without reading /etc/passwd (Kubernetes' runAsNonRoot refuses
# a user name). Nothing here needs privileges: the dashboard's port 3000 is above 1024.
USER 1000:1000

# Fail the build, not the first deployment, when the image lacks something the program needs at run
# time (a devDependency imported by compiled code, a data file left out, a native add-on that does
# not load): the CLI starts, the classifier loads its ONNX members (and the encoder when present),
# and a backfill on an empty embedded database applies every migration and starts a scoring worker
# thread (which loads its own entry file from dist/). Runs as `node`, so it also proves the files
# are readable by the user that runs them. A few seconds; leaves nothing behind.
RUN node bin/cv-pipeline.js --help > /dev/null \
 && node bin/cv-pipeline.js classify 'Senior Software Engineer' > /dev/null \
 && smoke="$(mktemp -d)" \
 && LOG_LEVEL=error PGLITE_DIR="$smoke/pglite" node bin/cv-pipeline.js backfill --threads 1 --json > /dev/null \
 && rm -rf "$smoke"

# Documentation only (compose and `docker run -p` publish ports): `serve` listens on DASHBOARD_PORT.
EXPOSE 3000

# The probe of `serve`: GET http://127.0.0.1:${DASHBOARD_PORT:-3000}/healthz (public, answers
# {"status":"ok"} while the process is up; /readyz is the one that checks Postgres, Redis and Kafka,
# and a dependency's outage should not get the dashboard restarted). Written in Node because slim
# images have no curl or wget. The start period covers loading the classifier and the migrations.
# Only `serve` has an HTTP server: run other long-lived commands with `docker run --no-healthcheck`
# (docker-compose.yml disables it for consume, work, backfill-worker and migrate).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/scripts/docker-healthcheck.mjs"]

# The image is the CLI: arguments after the image name are its command and options.
ENTRYPOINT ["node", "bin/cv-pipeline.js"]
CMD ["--help"]

LABEL org.opencontainers.image.title="cv-pipeline" \
      org.opencontainers.image.description="Kafka -> BullMQ -> Postgres CV scoring pipeline (seniority and department of job titles)" \
      org.opencontainers.image.licenses="MIT"
