# The gateway's image: the project installed without its development tools, src/ compiled to
# dist/ and the Prisma client generated, as `npm start` would do on first run. Configure it with
# the environment (the README's Configuration table); deploy/compose/compose.yaml shows a whole
# deployment.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN node scripts/generate.mjs prisma && mkdir -p .data && chown node:node .data
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
EXPOSE 4000
USER node
CMD ["node", "dist/src/server.js"]
