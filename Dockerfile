# Peerlane signaling server with the demo. Build: docker build -t peerlane .
# Node 24: a maintained LTS line (Node 20 reached its end of life in April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The server's packages are optional peer dependencies of the published package (an app
# that bundles the SDK installs none of them); this image runs the server, so they become
# its dependencies and survive `npm prune --omit=dev`.
RUN node -e "const fs = require('fs'); const p = require('./package.json'); \
  for (const name in p.peerDependencies) { p.dependencies[name] = p.peerDependencies[name]; delete p.devDependencies[name]; } \
  delete p.peerDependencies; delete p.peerDependenciesMeta; fs.writeFileSync('package.json', JSON.stringify(p, null, 2));"
# No install scripts: nothing the server needs builds natively.
RUN npm ci --ignore-scripts --no-audit --no-fund
# Everything `npm run build` reads (test/docker.test.ts builds from exactly these files).
COPY tsconfig.json tsconfig.build.json vite.browser.ts vite.sdk.config.ts vite.simple-peer.config.ts ./
COPY signaling ./signaling
COPY sdk ./sdk
COPY demo ./demo
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The image's own 'node' user: the server needs no privileges and writes nothing.
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: clients get 1001 and resume on another node; docker's 10 s stop timeout covers the 5 s drain.
CMD ["node", "dist/signaling/main.js"]
