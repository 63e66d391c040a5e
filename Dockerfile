# mm in a container: the programs, their man pages and the default
# configuration, with mm-serve on 0.0.0.0:8000 as a non-root user.  The
# database and the model store live under /var/lib/mm, as volumes.
#
#   docker build -t mm .
#   docker run -p 127.0.0.1:8000:8000 -v "$PWD/data:/var/lib/mm/data" \
#       -v "$PWD/models:/var/lib/mm/models" mm
#
# compose.yaml does the same; scripts/check-docker.sh checks it all.

# Build: the whole tree with make, as on a Debian 12 machine
# (scripts/deps.sh installs the build packages).
FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps.sh scripts/
RUN scripts/deps.sh build && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make -j"$(nproc)" \
	&& make install DESTDIR=/out PREFIX=/usr/local \
	&& strip --strip-unneeded /out/usr/local/bin/* \
	&& install -d /out/etc/mm \
	&& install -m 644 config/*.yaml /out/etc/mm/

# Run: the shared libraries the programs link, and wget for the health
# check; no compiler, no headers.
FROM debian:12
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends libjansson4 libyaml-0-2 libsqlite3-0 \
	    libgsl27 libgslcblas0 libnettle8 libmicrohttpd12 libpq5 wget \
	&& apt-get clean && rm -rf /var/lib/apt/lists/*
ARG MM_UID=10001
RUN groupadd --system --gid "$MM_UID" mm \
	&& useradd --system --uid "$MM_UID" --gid mm --home-dir /var/lib/mm \
	    --no-create-home --shell /usr/sbin/nologin mm \
	&& install -d -m 755 /var/lib/mm \
	&& install -d -o mm -g mm -m 700 /var/lib/mm/data /var/lib/mm/models
COPY --from=build /out/ /
ENV MM_DB=/var/lib/mm/data/metrics/metrics.db \
    MM_MODELS=/var/lib/mm/models \
    MM_CONFIG=/etc/mm
WORKDIR /var/lib/mm
VOLUME ["/var/lib/mm/data", "/var/lib/mm/models"]
USER mm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
	CMD wget -q -O /dev/null http://127.0.0.1:8000/health || exit 1
CMD ["mm-serve", "--listen", "0.0.0.0:8000"]
