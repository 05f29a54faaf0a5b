# agentgw in a container: built in one stage, run from a slim one as a non-root user.
#   docker build -t agentgw .
#   docker run -p 8080:8080 -p 9464:9464 -v $PWD/my.toml:/etc/agentgw/agentgw.toml:ro agentgw
# Without a mounted configuration it serves config/default.toml, whose DEVELOPMENT credentials
# make the gateway log a loud warning.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin agentgw

FROM debian:bookworm-slim
# curl for the HEALTHCHECK; CA certificates for upstreams over HTTPS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/agentgw agentgw
COPY --from=build /src/target/release/agentgw /usr/local/bin/agentgw
COPY config/default.toml /etc/agentgw/agentgw.toml
USER agentgw
WORKDIR /var/lib/agentgw
# Listen on every interface inside the container; the SQLite store lives in the user's home
# (mount a volume there to keep it), or point AGENTGW__STORE__URL at PostgreSQL.
ENV AGENTGW__SERVER__LISTEN=0.0.0.0:8080 \
    AGENTGW__ADMIN__LISTEN=0.0.0.0:9464 \
    AGENTGW__STORE__URL=sqlite:///var/lib/agentgw/agentgw.db
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["agentgw"]
CMD ["serve", "--config", "/etc/agentgw/agentgw.toml"]
