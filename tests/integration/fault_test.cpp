// Faults that take the whole cluster down for a moment; CTest runs these alone.
#include "cluster_env.h"
#include "kube/informer.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;

using FaultTest = ClusterTest;

TEST_F(FaultTest, InformerConvergesAfterTheApiServerRestarts) {
  kube::ClientListerWatcher lw(client(), res::configMaps, ns_, "it=restart");
  kube::InformerOptions opts;
  opts.backoff = {std::chrono::milliseconds(100), std::chrono::seconds(2), 2.0, 0.5};
  kube::Informer informer(lw, opts);
  informer.start();
  auto labelled = [](Json o) {
    o["metadata"]["labels"] = parse(R"({"it":"restart"})");
    return o;
  };
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client().create(res::configMaps, ns_,
                                labelled(configMap("before-" + std::to_string(i), "k", "v"))));
  }
  ASSERT_TRUE(eventually([&] { return informer.store().size() == 5; }));

  const std::string cmd =
      std::string(MLMODEL_SOURCE_DIR) + "/hack/cluster.sh restart kube-apiserver";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // Changes made after the restart reach the cache through a new watch (or a relist).
  ASSERT_TRUE(eventually([&] {
    return bool(client().create(res::configMaps, ns_, labelled(configMap("after", "k", "v"))));
  }));
  ASSERT_TRUE(client().remove(res::configMaps, ns_, "before-0"));
  ASSERT_TRUE(client().patch(res::configMaps, ns_, "before-1", kube::PatchType::Merge,
                             parse(R"({"data":{"k":"changed"}})")));
  ASSERT_TRUE(eventually(
      [&] {
        auto changed = informer.store().get(ns_ + "/before-1");
        return informer.store().size() == 5 && informer.store().get(ns_ + "/after") &&
               !informer.store().get(ns_ + "/before-0") && changed &&
               changed->at("data").at("k").as_string() == "changed";
      },
      std::chrono::seconds(60)))
      << "cache holds " << informer.store().size() << " objects";
}

}  // namespace
}  // namespace mlmodel::testing
