# The operator image: built from Debian's packages, run as a non-root user from a slim
# base holding only the binary's shared libraries and CA certificates.
# Not built by this repository's CI (its machines run no Docker engine):
#   docker build -t mlmodel-operator:dev .
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libcpprest-dev libboost-dev \
      libboost-system-dev libyaml-cpp-dev libspdlog-dev libfmt-dev prometheus-cpp-dev \
      libssl-dev zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator operator
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLMODEL_BUILD_TESTS=OFF \
 && cmake --build build --target mlmodel-operator \
 && strip build/operator/mlmodel-operator

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libcpprest2.10 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libboost-system1.74.0 libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/operator/mlmodel-operator /usr/local/bin/mlmodel-operator
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/mlmodel-operator"]
