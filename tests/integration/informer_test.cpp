// The informer (list, watch, relist) against the real kube-apiserver and etcd.
#include "kube/informer.h"

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "cluster_env.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;
using kube::ObjectPtr;

std::string nameOf(const ObjectPtr& o) { return o->at("metadata").at("name").as_string(); }

// Records handler calls as "add:name", "update:name=value", "delete:name[?]".
class Recorder {
 public:
  kube::EventHandlers handlers(const std::string& dataKey = "k") {
    kube::EventHandlers h;
    h.onAdd = [this](const ObjectPtr& o) { push("add:" + nameOf(o)); };
    h.onUpdate = [this, dataKey](const ObjectPtr&, const ObjectPtr& o) {
      push("update:" + nameOf(o) + "=" + o->at("data").at(dataKey).as_string());
    };
    h.onDelete = [this](const ObjectPtr& o, bool unknown) {
      push("delete:" + nameOf(o) + (unknown ? "?" : ""));
    };
    return h;
  }
  kube::EventHandlers templateHandlers() {
    kube::EventHandlers h;
    h.onAdd = [this](const ObjectPtr& o) { push("add:" + nameOf(o)); };
    h.onUpdate = [this](const ObjectPtr&, const ObjectPtr& o) { push("update:" + nameOf(o)); };
    h.onDelete = [this](const ObjectPtr& o, bool unknown) {
      push("delete:" + nameOf(o) + (unknown ? "?" : ""));
    };
    return h;
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  void push(std::string e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

Json labelled(Json obj) {
  obj["metadata"]["labels"] = parse(R"({"it":"watch"})");
  return obj;
}

using InformerTest = ClusterTest;

TEST_F(InformerTest, WatchDeliversEveryChangeInOrder) {
  kube::ClientListerWatcher lw(client(), res::configMaps, ns_, "it=watch");
  kube::Informer informer(lw, {});
  Recorder rec;
  informer.addHandlers(rec.handlers());
  ASSERT_TRUE(client().create(res::configMaps, ns_, labelled(configMap("pre", "k", "0"))));
  informer.start();
  ASSERT_TRUE(
      informer.waitForSync(core::SystemClock::instance().steadyNow() + std::chrono::seconds(10)));
  EXPECT_EQ(rec.events(), std::vector<std::string>{"add:pre"});

  const int n = 30;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(client().create(res::configMaps, ns_,
                                labelled(configMap("cm-" + std::to_string(i), "k", "0"))));
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(client().patch(res::configMaps, ns_, "cm-" + std::to_string(i),
                               kube::PatchType::Merge, parse(R"({"data":{"k":"1"}})")));
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client().remove(res::configMaps, ns_, "cm-" + std::to_string(i)));
  }
  // Unlabelled objects are not ours to see.
  ASSERT_TRUE(client().create(res::configMaps, ns_, configMap("other", "k", "0")));

  const size_t want = 1 + n + n + 10;
  ASSERT_TRUE(eventually([&] { return rec.size() >= want; })) << rec.size() << " events";
  const auto events = rec.events();
  EXPECT_EQ(events.size(), want);
  // Per object: add, then update, then (for the first ten) delete; globally in the order
  // the changes were made.
  std::vector<std::string> expected{"add:pre"};
  for (int i = 0; i < n; ++i) expected.push_back("add:cm-" + std::to_string(i));
  for (int i = 0; i < n; ++i) expected.push_back("update:cm-" + std::to_string(i) + "=1");
  for (int i = 0; i < 10; ++i) expected.push_back("delete:cm-" + std::to_string(i));
  EXPECT_EQ(events, expected);
  EXPECT_EQ(informer.store().size(), static_cast<size_t>(1 + n - 10));
  auto cached = informer.store().get(ns_ + "/cm-29");
  ASSERT_TRUE(cached);
  EXPECT_FALSE(cached->at("metadata").has_field("managedFields"));
  EXPECT_EQ(informer.relists(), 1u);
}

TEST_F(InformerTest, StopReturnsPromptlyWhileAWatchIsOpen) {
  kube::ClientListerWatcher lw(client(), res::configMaps, ns_);
  auto informer = std::make_unique<kube::Informer>(lw, kube::InformerOptions{});
  informer->start();
  ASSERT_TRUE(
      informer->waitForSync(core::SystemClock::instance().steadyNow() + std::chrono::seconds(10)));
  const auto start = std::chrono::steady_clock::now();
  informer->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Runs `beforeFirstWatch` between the list and the first watch: a window in which the
// test changes objects and compacts etcd, as if the informer had been away too long.
class GapListerWatcher final : public kube::ListerWatcher {
 public:
  GapListerWatcher(kube::ListerWatcher& inner, std::function<void()> beforeFirstWatch)
      : inner_(inner), hook_(std::move(beforeFirstWatch)) {}
  core::Result<kube::ObjectList> list(const std::function<void(Json&&)>& t) override {
    return inner_.list(t);
  }
  core::Result<std::unique_ptr<kube::WatchStream>> watch(const std::string& rv, int t) override {
    if (hook_) std::exchange(hook_, nullptr)();
    return inner_.watch(rv, t);
  }

 private:
  kube::ListerWatcher& inner_;
  std::function<void()> hook_;
};

Json podTemplate(const std::string& name) {
  auto t = parse(R"({"apiVersion":"v1","kind":"PodTemplate","metadata":{},
    "template":{"spec":{"containers":[{"name":"c","image":"registry.example/c:1"}]}}})");
  t["metadata"]["name"] = Json::string(name);
  return t;
}

TEST_F(InformerTest, WatchFromACompactedVersionRelistsWithoutMissingOrRepeating) {
  // PodTemplates bypass the API server's watch cache (hack/cluster.sh), so a watch from a
  // compacted resourceVersion reaches etcd and gets a real 410 Gone.
  const std::string etcd = envOr("ETCD_ENDPOINT");
  ASSERT_FALSE(etcd.empty()) << "ETCD_ENDPOINT is not set (hack/cluster.sh env)";
  for (auto name : {"keep", "change", "drop"}) {
    ASSERT_TRUE(client().create(res::podTemplates, ns_, podTemplate(name)));
  }
  kube::ClientListerWatcher real(client(), res::podTemplates, ns_);
  GapListerWatcher gap(real, [&] {
    ASSERT_TRUE(client().remove(res::podTemplates, ns_, "drop"));
    ASSERT_TRUE(client().patch(res::podTemplates, ns_, "change", kube::PatchType::Merge,
                               parse(R"({"metadata":{"labels":{"changed":"yes"}}})")));
    auto last = client().create(res::podTemplates, ns_, podTemplate("new"));
    ASSERT_TRUE(last);
    const auto rev = kube::resourceVersionOf(last.value());
    const auto cmd = "etcdctl --endpoints " + etcd + " compact " + rev + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  });
  kube::Informer informer(gap, {});
  Recorder rec;
  informer.addHandlers(rec.templateHandlers());
  informer.start();
  ASSERT_TRUE(eventually([&] { return informer.relists() >= 2 && rec.size() >= 6; }))
      << informer.relists() << " relists, " << rec.size() << " events";
  ASSERT_TRUE(client().create(res::podTemplates, ns_, podTemplate("after")));
  ASSERT_TRUE(eventually([&] { return rec.size() >= 7; }));

  auto events = rec.events();
  std::multiset<std::string> got(events.begin(), events.end());
  // First list: three adds. Relist: "change" updated, "new" added, "drop" deleted with
  // its final state unknown, "keep" untouched. Then the watch resumes and sees "after".
  std::multiset<std::string> want{"add:keep", "add:change",   "add:drop", "update:change",
                                  "add:new",  "delete:drop?", "add:after"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(informer.relists(), 2u);
  EXPECT_EQ(informer.store().size(), 4u);
}

}  // namespace
}  // namespace mlmodel::testing
