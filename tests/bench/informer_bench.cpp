// Informer benchmark against the local cluster: N real Deployments (paused, so the
// controller-manager creates no ReplicaSets for them), then
//   - the time from the LIST completing to the cache being synced,
//   - resident memory per cached Deployment after the transform,
//   - watch events processed per second while writers patch every Deployment.
// Prints one line per figure: bench: <name> <value> <unit>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_error.h"
#include "kube/client_factory.h"
#include "kube/informer.h"
#include "kube/transforms.h"

using namespace mlmodel;
using kube::Json;
using Clock = std::chrono::steady_clock;

namespace {

long rssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void figure(const std::string& name, double value, const std::string& unit) {
  std::printf("bench: %s %.3f %s\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

Json deployment(int i) {
  auto d = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
    "labels":{"app.kubernetes.io/name":"bench","app.kubernetes.io/managed-by":"mlmodel-operator"},
    "annotations":{"serving.mlops.dev/version":"1.0.0","example.com/note":"not ours"}},
    "spec":{"replicas":0,"paused":true,"selector":{"matchLabels":{"app":"bench"}},
      "template":{"metadata":{"labels":{"app":"bench"}},"spec":{"containers":[{"name":"server",
        "image":"registry.example/models/fraud@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ports":[{"containerPort":8080}],"env":[{"name":"MODEL_NAME","value":"fraud"}],
        "resources":{"requests":{"cpu":"100m","memory":"128Mi"}},
        "readinessProbe":{"httpGet":{"path":"/ready","port":8080}}}]}}}})");
  d["metadata"]["name"] = Json::string("bench-" + std::to_string(i));
  return d;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
void parallel(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : ts) t.join();
}

// Records when the LIST returned, to separate server time from cache-building time.
class TimedListerWatcher final : public kube::ListerWatcher {
 public:
  explicit TimedListerWatcher(kube::ListerWatcher& inner) : inner_(inner) {}
  core::Result<kube::ObjectList> list(const std::function<void(Json&&)>& t) override {
    auto r = inner_.list(t);
    listDone = Clock::now();
    return r;
  }
  core::Result<std::unique_ptr<kube::WatchStream>> watch(const std::string& rv, int t) override {
    return inner_.watch(rv, t);
  }
  Clock::time_point listDone;

 private:
  kube::ListerWatcher& inner_;
};

// Caches every Deployment of `ns` through `transform`; prints the figures prefixed by `p`.
bool measure(kube::Client& client, const std::string& ns, int n,
             const std::function<Json(Json)>& transform, const std::string& p) {
  malloc_trim(0);
  const long rssBefore = rssKiB();
  kube::ClientListerWatcher real(client, kube::resources::deployments, ns);
  TimedListerWatcher lw(real);
  kube::InformerOptions opts;
  opts.transform = transform;
  auto informerPtr = std::make_unique<kube::Informer>(lw, opts);
  auto& informer = *informerPtr;
  std::atomic<size_t> seen{0};
  kube::EventHandlers h;
  h.onUpdate = [&](const kube::ObjectPtr&, const kube::ObjectPtr&) { seen++; };
  informer.addHandlers(h);
  const auto start = Clock::now();
  informer.start();
  if (!informer.waitForSync(Clock::now() + std::chrono::minutes(2))) {
    std::cerr << "informer_bench: no sync within 2 minutes\n";
    return false;
  }
  const auto synced = Clock::now();
  if (informer.store().size() != static_cast<size_t>(n)) {
    std::cerr << "informer_bench: cached " << informer.store().size() << ", want " << n << "\n";
    return false;
  }
  figure(p + "informer_list_seconds", seconds(lw.listDone - start), "s");
  figure(p + "informer_sync_after_list_seconds", seconds(synced - lw.listDone), "s");
  malloc_trim(0);
  const long rssAfter = rssKiB();
  // Heap in use is what the cache holds; resident memory adds what the allocator keeps
  // from the LIST's transient buffers.
  figure(p + "informer_rss_growth_per_object",
         static_cast<double>(rssAfter - rssBefore) * 1024.0 / n, "bytes");
  if (std::getenv("BENCH_MALLOC_STATS")) malloc_stats();

  // Watch throughput: patch every object from several writers; the informer must see all.
  const auto w0 = Clock::now();
  parallel(n, 8, [&](int i) {
    auto patch = Json::parse(R"({"metadata":{"annotations":{"serving.mlops.dev/touched":"x"}}})");
    patch["metadata"]["annotations"]["serving.mlops.dev/touched"] =
        Json::string(std::to_string(w0.time_since_epoch().count()));
    (void)client.patch(kube::resources::deployments, ns, "bench-" + std::to_string(i),
                       kube::PatchType::Merge, patch);
  });
  const auto written = Clock::now();
  while (seen.load() < static_cast<size_t>(n) && Clock::now() - written < std::chrono::minutes(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // measuring, not testing
  }
  const auto received = Clock::now();
  figure(p + "informer_write_rate", n / seconds(written - w0), "writes/s");
  figure(p + "informer_watch_events_rate",
         static_cast<double>(seen.load()) / seconds(received - w0), "events/s");
  figure(p + "informer_watch_lag_after_last_write", seconds(received - written), "s");
  informer.stop();
  // What the cache itself keeps resident, once every object has been replaced by a watch
  // event: the memory that goes when the informer goes. The growth figure above adds what
  // the allocator still holds from decoding the LIST, whatever the cache size.
  const size_t events = seen.load();
  malloc_trim(0);
  const long rssSteady = rssKiB();
  informerPtr.reset();
  malloc_trim(0);
  const long rssGone = rssKiB();
  figure(p + "informer_cache_rss_per_object", static_cast<double>(rssSteady - rssGone) * 1024.0 / n,
         "bytes");
  return events >= static_cast<size_t>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::string ns = argc > 2 ? argv[2] : "bench-informer-" + std::to_string(getpid());
  auto cfg = kube::loadConfig({});
  if (!cfg) {
    std::cerr << "informer_bench: " << cfg.error().message << "\n";
    return 1;
  }
  auto client = kube::makeClient(cfg.value());
  auto nsObj = Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{}})");
  nsObj["metadata"]["name"] = Json::string(ns);
  (void)client->create(kube::resources::namespaces, "", nsObj);

  // Create what is missing (a rerun on the same cluster reuses the objects).
  auto t0 = Clock::now();
  std::atomic<int> created{0}, failed{0};
  parallel(n, 8, [&](int i) {
    auto r = client->create(kube::resources::deployments, ns, deployment(i));
    if (r) {
      created++;
    } else if (!kube::isAlreadyExists(r.error())) {
      if (failed++ == 0) std::cerr << "create: " << r.error().message << "\n";
    }
  });
  if (failed > 0) return 1;
  if (created > 0)
    figure("informer_create_rate", created / seconds(Clock::now() - t0), "objects/s");

  // One LIST first, whose items are dropped: it measures what the transport itself keeps
  // (connection and page buffers), which does not grow with the number of objects cached.
  malloc_trim(0);
  const long rssIdle = rssKiB();
  {
    kube::ListOptions o;
    o.onItem = [](Json&&) {};
    (void)client->list(kube::resources::deployments, ns, o);
  }
  malloc_trim(0);
  figure("informer_transport_warmup_rss", static_cast<double>(rssKiB() - rssIdle) / 1024.0, "MiB");
  // Status only, as an informer that reports readiness needs; then with the spec, as the
  // operator's Deployment cache keeps it to spot drift.
  if (!measure(*client, ns, n, kube::projectDeployment, "")) return 1;
  if (!measure(*client, ns, n, kube::projectDeploymentWithSpec, "with_spec_")) return 1;
  if (std::getenv("BENCH_KEEP") == nullptr) {
    kube::DeleteOptions o;
    o.propagationPolicy = "Background";
    (void)client->remove(kube::resources::namespaces, "", ns, o);
  }
  return 0;
}
