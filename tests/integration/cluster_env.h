#pragma once

// Shared set-up for tests against the local cluster (hack/cluster.sh): a client built the
// way the operator builds one, from KUBECONFIG, and a namespace per test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>

#include "kube/api_error.h"
#include "kube/client_factory.h"
#include "support/wait_until.h"

namespace mlmodel::testing {

using kube::Json;

inline std::string envOr(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

inline kube::Config clusterConfig() {
  if (envOr("KUBECONFIG").empty()) {
    ADD_FAILURE()
        << "KUBECONFIG is not set: run under hack/test.sh or eval \"$(hack/cluster.sh env)\"";
  }
  auto cfg = kube::loadConfig({});
  if (!cfg) ADD_FAILURE() << cfg.error().message;
  return cfg ? cfg.value() : kube::Config{};
}

// Never destroyed: at exit OpenSSL's own atexit cleanup can run before a static's destructor,
// and freeing a pooled TLS connection after it crashed test processes that had passed.
inline kube::Client& adminClient() {
  static kube::Client* client = kube::makeClient(clusterConfig()).release();
  return *client;
}

inline std::string randomSuffix() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  return std::to_string(std::uniform_int_distribution<int>(10000, 99999)(rng));
}

inline Json parse(const std::string& s) { return Json::parse(s); }

inline Json configMap(const std::string& name, const std::string& key, const std::string& value) {
  auto cm = parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{},"data":{}})");
  cm["metadata"]["name"] = Json::string(name);
  cm["data"][key] = Json::string(value);
  return cm;
}

// Polls `cond` every 50ms until it holds or `timeout` passes (support/wait_until.h). For
// waiting on real servers only; logic under test takes an injected clock instead.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  return testutil::waitUntil(cond, timeout, std::chrono::milliseconds(50));
}

// A fresh namespace for each test, deleted afterwards.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = "it-" + randomSuffix();
    auto nsObj = parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{}})");
    nsObj["metadata"]["name"] = Json::string(ns_);
    auto r = client().create(kube::resources::namespaces, "", nsObj);
    ASSERT_TRUE(r) << r.error().message;
  }
  void TearDown() override {
    kube::DeleteOptions o;
    o.propagationPolicy = "Background";
    (void)client().remove(kube::resources::namespaces, "", ns_, o);
  }
  kube::Client& client() { return adminClient(); }

  std::string ns_;
};

}  // namespace mlmodel::testing
