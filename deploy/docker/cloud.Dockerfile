# SmartMaint Edge cloud image. Build from the repository root:
#   docker build -f deploy/docker/cloud.Dockerfile -t smartmaint-cloud .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY shared shared
COPY gateway gateway
COPY cloud cloud
COPY models models
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The fleet view's static files are read from the source tree, next to package.json.
COPY --from=build /app/cloud/fleet-view cloud/fleet-view
COPY --from=build /app/shared/web shared/web
RUN useradd --system --uid 10001 --home-dir /var/lib/smartmaint --shell /usr/sbin/nologin smartmaint \
  && mkdir -p /var/lib/smartmaint/cloud && chown -R smartmaint:smartmaint /var/lib/smartmaint
USER smartmaint
VOLUME /var/lib/smartmaint/cloud
ENV SMARTMAINT_DATA_DIR=/var/lib/smartmaint/cloud
EXPOSE 8090
ENTRYPOINT ["node", "/app/dist/deploy/cli/smartmaint.js"]
CMD ["cloud"]
