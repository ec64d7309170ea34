# The gateway's image: the project installed without its development tools, src/ compiled to
# dist/ and the Prisma client generated, as `npm start` would do on first run, and the dashboard
# built in a stage of its own (Vite and GraphQL Code Generator are development tools). Configure it
# with the environment (the README's Configuration table); deploy/compose/compose.yaml shows a
# whole deployment.
FROM node:22-bookworm-slim AS dashboard
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build-web.mjs

FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
COPY --from=dashboard /app/dist/web dist/web
RUN node scripts/generate.mjs prisma && mkdir -p .data && chown node:node .data
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
EXPOSE 4000
USER node
CMD ["node", "dist/src/server.js"]
