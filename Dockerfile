# Application image for docker-compose.yml (consumer / worker / dashboard share it).
FROM node:20-slim
WORKDIR /app
# Dependencies first, so the layer is cached until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
CMD ["npx", "tsx", "src/cli/main.ts", "serve"]
