# SmartMaint Edge gateway image. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t smartmaint-gateway .
# Also runs the simulator (`simulate --dataset cmapss`), which needs the datasets under models/data.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY shared shared
COPY gateway gateway
COPY cloud cloud
COPY models models
# npm ci runs `prepare` (tsc → dist/); dev dependencies are dropped afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/models models
# The status page's static files are read from the source tree, next to package.json.
COPY --from=build /app/gateway/status/page gateway/status/page
COPY --from=build /app/shared/web shared/web
RUN useradd --system --uid 10001 --home-dir /var/lib/smartmaint --shell /usr/sbin/nologin smartmaint \
  && mkdir -p /var/lib/smartmaint/gateway && chown -R smartmaint:smartmaint /var/lib/smartmaint
USER smartmaint
VOLUME /var/lib/smartmaint/gateway
ENV SMARTMAINT_DATA_DIR=/var/lib/smartmaint/gateway
EXPOSE 1883 8080
ENTRYPOINT ["node", "/app/dist/deploy/cli/smartmaint.js"]
CMD ["gateway"]
