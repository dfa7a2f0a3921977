# Build with the official Swift image, run on slim Debian as a non-root user.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --product telewall --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/telewall --create-home telewall
COPY --from=build /src/.build/release/telewall /usr/local/bin/telewall
COPY Public /usr/share/telewall/Public
COPY Migrations /usr/share/telewall/Migrations
USER telewall
WORKDIR /var/lib/telewall
ENV TELEWALL_DATA=/var/lib/telewall/data
EXPOSE 8080 8443 8125/udp 8125/tcp 2003/tcp 2003/udp
ENTRYPOINT ["telewall"]
CMD ["serve", "--http", "0.0.0.0:8080", "--statsd", "0.0.0.0:8125", "--graphite", "0.0.0.0:2003"]
