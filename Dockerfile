# The adapter image: FROM scratch, holding only the static lambda-adapter binary at /lambda-adapter.
#
#   docker build -t lambda-adapter .
#   docker buildx build --platform linux/arm64 -t lambda-adapter:arm64 .   # Graviton (emulated build: slow)
#
# An app's image then takes the adapter with one line, whatever its base (FROM scratch, distroless/static,
# Alpine, Debian, an AWS base image):
#
#   COPY --from=lambda-adapter /lambda-adapter /opt/extensions/lambda-adapter
#
# Push it to your registry (ECR) to use it from other machines: COPY --from=<registry>/lambda-adapter:<tag> ...

FROM rust:1-bookworm AS build
WORKDIR /src
# Cargo reads every target Cargo.toml declares, so benches/ comes along though nothing here builds it.
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
COPY scripts/build-static.sh scripts/build-static.sh
# The static build for this platform's architecture (x86_64 or aarch64), glibc linked in: no loader, no libc.
RUN cp "$(scripts/build-static.sh)" /lambda-adapter && /lambda-adapter --version

FROM scratch
COPY --from=build /lambda-adapter /lambda-adapter
ENTRYPOINT ["/lambda-adapter"]
