# Application image: the cv-pipeline CLI (docker run IMAGE run --input FILE, classify TITLE, ...).
FROM node:20-slim
WORKDIR /app
# Dependencies first, so the layer is cached until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
# npm install, not npm ci: the lock made here lacks optional platform builds the registry mirror lacks.
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/cv-pipeline.js"]
CMD ["--help"]
