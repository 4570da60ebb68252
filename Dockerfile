# The operator image, for those who build with Docker. `make image` builds the same image
# without a Docker daemon (hack/operator-image.sh): the stripped Release binary, its shared
# libraries and dynamic loader, CA certificates, and passwd/group lines naming the
# non-root user 65532, on no base image. The build stage lays the files out with that same
# script; tests/image/dockerfile-consistency.sh checks that the declarations below (user,
# entrypoint, ports, env, labels, copied files) match the image `make image` pushes.
# Not built by this repository's CI (its machines run no Docker engine):
#   docker build -t mlmodel-operator:dev --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" --build-arg SOURCE=<repository URL> .
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libcpprest-dev libboost-dev \
      libboost-system-dev libyaml-cpp-dev libspdlog-dev libfmt-dev prometheus-cpp-dev \
      libssl-dev zlib1g-dev libmimalloc-dev ca-certificates python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator operator
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLMODEL_BUILD_TESTS=OFF \
 && cmake --build build --target mlmodel-operator
COPY hack hack
RUN hack/operator-image.sh --rootfs build/operator/mlmodel-operator /rootfs

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /rootfs/home/nonroot /home/nonroot
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="mlmodel-operator" \
      org.opencontainers.image.description="Kubernetes operator deploying machine-learning models with metric-judged canary rollouts" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/mlmodel-operator"]
