#include "server/app.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>

#include "api/mlmodel.h"
#include "controller/client_pod_reader.h"
#include "controller/desired.h"
#include "controller/measurement_pool.h"
#include "controller/mlflow_versions.h"
#include "controller/prometheus_source.h"
#include "controller/reconciler.h"
#include "controller/registry_image_resolver.h"
#include "controller/trust_policy.h"
#include "core/allowed_urls.h"
#include "core/json_read.h"
#include "http/transport.h"
#include "kube/client_factory.h"
#include "kube/event_recorder.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "kube/metrics.h"
#include "kube/transforms.h"
#include "kube/workqueue.h"
#include "registry/allowed_registries.h"
#include "registry/caching_resolver.h"
#include "registry/distribution_resolver.h"
#include "server/analysis_metrics.h"
#include "server/controller_metrics.h"
#include "server/event_filters.h"
#include "server/event_metrics.h"
#include "server/health_server.h"
#include "server/leadership.h"
#include "server/logging.h"
#include "server/manager.h"
#include "server/metrics_server.h"
#include "server/secure_metrics.h"
#include "server/version.h"
#include "server/work_heartbeat.h"
#include "server/write_fence.h"

namespace mlmodel::server {
namespace {

using kube::Json;
using kube::ObjectPtr;

// Reads a key from the cache of the namespace it names.
class NamespacedReader final : public kube::ObjectReader {
 public:
  void add(const std::string& ns, const kube::Store* store) { stores_[ns] = store; }
  ObjectPtr get(const std::string& key) const override {
    auto it = stores_.find("");
    if (it == stores_.end()) it = stores_.find(key.substr(0, key.find('/')));
    return it == stores_.end() ? nullptr : it->second->get(key);
  }

 private:
  std::map<std::string, const kube::Store*> stores_;
};

// One namespace's (or every namespace's) caches. What the transforms below drop is not
// even decoded: the managedFields of Deployments and Services, and of a model's all but
// which top-level fields each writer owns (audit/attribution.h reads only that).
constexpr const char* kManagedFields = "metadata.managedFields";
constexpr const char* kModelFieldSets = "metadata.managedFields.*.fieldsV1.*.*";

struct Caches {
  Caches(kube::Client& client, const std::string& ns)
      : modelsLw(client, api::mlmodels, ns, "", "", {kModelFieldSets}),
        deploymentsLw(client, kube::resources::deployments, ns,
                      std::string(controller::kManagedBy) + "=mlmodel-operator", "",
                      {kManagedFields}),
        servicesLw(client, kube::resources::services, ns,
                   std::string(controller::kManagedBy) + "=mlmodel-operator", "", {kManagedFields}),
        models(modelsLw, modelOptions()),
        deployments(deploymentsLw, deploymentOptions()),
        services(servicesLw, {}) {}

  // Who changed a model is read from its managedFields (history's audit trail).
  static kube::InformerOptions modelOptions() {
    kube::InformerOptions o;
    o.transform = kube::summarizeManagedFields;
    return o;
  }
  static kube::InformerOptions deploymentOptions() {
    kube::InformerOptions o;
    o.transform = kube::projectDeploymentWithSpec;
    return o;
  }
  bool synced() const {
    return models.hasSynced() && deployments.hasSynced() && services.hasSynced();
  }

  kube::ClientListerWatcher modelsLw, deploymentsLw, servicesLw;
  kube::Informer models, deployments, services;
};

std::string randomSuffix() {
  std::mt19937 rng{std::random_device{}()};
  return std::to_string(std::uniform_int_distribution<int>(100000, 999999)(rng));
}

std::string hostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

int runOperator(const Options& o) {
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  setupLogging(o.logFormat, o.logLevel);
  kube::LoadOptions lo;
  lo.kubeconfigFlag = o.kubeconfig;
  auto cfg = kube::loadConfig(lo);
  if (!cfg) {
    spdlog::error("loading the client configuration: {}", cfg.error().message);
    return 1;
  }
  spdlog::info("mlmodel-operator {} starting; API server {} ({})", version(), cfg->server,
               cfg->source);

  kube::Metrics metrics;
  ControllerMetrics reconcileMetrics(*metrics.registry(), "mlmodel");
  // Every write of the operator's client asks the fence: none once the lease is lost.
  WriteFence fence;
  kube::ClientOptions copts;
  copts.userAgent = "mlmodel-operator/" + std::string(version());
  copts.observer = metrics.requestObserver(cfg->server.substr(cfg->server.find("://") + 3));
  auto clientOptions = copts;
  clientOptions.writeGate = [&fence] { return fence.check(); };
  // Cancelled when the lease is lost: requests in flight abort rather than run to their
  // deadlines.
  core::CancelToken cancelRequests;
  clientOptions.cancel = &cancelRequests;
  auto client = kube::makeClient(cfg.value(), clientOptions);

  std::vector<std::unique_ptr<Caches>> caches;
  NamespacedReader models, deployments, services;
  const std::vector<std::string> namespaces =
      o.namespaces.empty() ? std::vector<std::string>{""} : o.namespaces;
  for (const auto& ns : namespaces) {
    caches.push_back(std::make_unique<Caches>(*client, ns));
    models.add(ns, &caches.back()->models.store());
    deployments.add(ns, &caches.back()->deployments.store());
    services.add(ns, &caches.back()->services.store());
  }

  auto queue = kube::makeWorkQueue({"mlmodel", nullptr, nullptr, &metrics});
  for (auto& c : caches) {
    kube::EventHandlers onModel;
    onModel.onAdd = [&](const ObjectPtr& m) { queue->add(kube::objectKey(*m)); };
    onModel.onUpdate = [&](const ObjectPtr& a, const ObjectPtr& b) {
      if (specOrMetaChanged(*a, *b)) queue->add(kube::objectKey(*b));
    };
    // A deleted model is reconciled once more, after any reconcile of it in flight (the
    // queue never runs one key twice at once): that pass finds it gone and drops its
    // series, which the reconcile in flight may have just written again.
    onModel.onDelete = [&](const ObjectPtr& m, bool) {
      reconcileMetrics.forget(core::jsonString(*m, {"metadata", "namespace"}),
                              core::jsonString(*m, {"metadata", "name"}));
      queue->add(kube::objectKey(*m));
    };
    c->models.addHandlers(onModel);
    kube::EventHandlers onOwned;
    onOwned.onAdd = [&](const ObjectPtr& x) {
      if (auto k = ownerKey(*x)) queue->add(*k);
    };
    onOwned.onUpdate = [&](const ObjectPtr&, const ObjectPtr& x) {
      if (auto k = ownerKey(*x)) queue->add(*k);
    };
    onOwned.onDelete = [&](const ObjectPtr& x, bool) {
      if (auto k = ownerKey(*x)) queue->add(*k);
    };
    onOwned.readsOld = false;
    c->deployments.addHandlers(onOwned);
    c->services.addHandlers(onOwned);
  }

  registry::DistributionResolverOptions ropts;
  ropts.insecureRegistries = o.insecureRegistries;
  registry::DistributionResolver registryResolver(registry::transportFactory(), ropts);
  // Models applied together mostly name a few images: one registry request per tag and
  // pull secret every 10 s, not one per model.
  registry::CachingResolver cachedResolver(registryResolver, {});
  controller::RegistryImageResolver imageResolver(*client, cachedResolver);
  kube::EventRecorderOptions eopts;
  eopts.reportingInstance = hostName();
  kube::EventRecorder events(*client, eopts);
  controller::ReconcilerDeps deps;
  deps.client = client.get();
  deps.models = &models;
  deps.deployments = &deployments;
  deps.services = &services;
  deps.resolver = &imageResolver;
  deps.events = &events;
  deps.clock = &core::SystemClock::instance();
  controller::PrometheusSource prometheusSource(*client, core::SystemClock::instance());
  prometheusSource.setMaxReplyBytes(static_cast<std::size_t>(o.prometheusMaxReplyMiB) * http::kMiB);
  deps.providers = &prometheusSource;
  // Analysis rounds are measured off the workers: a Prometheus that stalls holds a share
  // of these threads, never a reconcile. A finished round queues its model again.
  controller::MeasurementPool rounds(prometheusSource,
                                     [&queue](const std::string& key) { queue->add(key); });
  deps.rounds = &rounds;
  deps.metrics = &reconcileMetrics;
  controller::ClientPodReader podReader(*client);
  deps.pods = &podReader;
  // parseOptions checked every list already.
  controller::TrustPolicy policy;
  policy.prometheus = core::AllowedUrls::parse(o.prometheusAllowedPrefixes).value();
  policy.defaultPrometheus = o.prometheusDefaultAddress;
  policy.registries = registry::AllowedRegistries::parse(o.allowedRegistries).value();
  policy.mlflow = core::AllowedUrls::parse(o.mlflowAllowedPrefixes).value();
  policy.defaultMlflow = o.mlflowDefaultAddress;
  deps.policy = &policy;
  spdlog::info("trust policy: Prometheus {} (default {}), registries {}, MLflow {} (default {})",
               policy.prometheus.restricts() ? policy.prometheus.describe() : "any address",
               policy.defaultPrometheus.empty() ? "none" : policy.defaultPrometheus,
               policy.registries.restricts() ? policy.registries.describe() : "any",
               policy.mlflow.restricts() ? policy.mlflow.describe() : "any address",
               policy.defaultMlflow.empty() ? "none" : policy.defaultMlflow);
  controller::MlflowVersions mlflowVersions(*client, core::SystemClock::instance());
  deps.versions = &mlflowVersions;
  controller::Reconciler reconciler(deps);

  auto synced = [&] {
    for (auto& c : caches) {
      if (!c->synced()) return false;
    }
    return true;
  };
  // /healthz fails when a worker has been on one key for longer than the limit.
  WorkHeartbeat heartbeat(core::SystemClock::instance(), o.wedgedWorkerTimeout);
  auto health = startHealthServer(o.healthProbeBindAddress, synced,
                                  [&heartbeat] { return heartbeat.wedged(); });
  if (!health) {
    spdlog::error("{}", health.error().message);
    return 1;
  }
  auto analysisMetrics = std::make_shared<AnalysisPoolMetrics>(AnalysisPoolMetrics::Source{
      .queued = [&rounds] { return static_cast<std::uint64_t>(rounds.queued()); },
      .running = [&rounds] { return static_cast<std::uint64_t>(rounds.running()); },
      .refused = [&rounds] { return rounds.refused(); }});
  auto eventMetrics = std::make_shared<EventMetrics>(
      [&events] { return static_cast<std::uint64_t>(events.queued()); },
      [&events] { return events.dropped(); });
  std::unique_ptr<HttpServer> metricsServer;
  if (o.metricsBindAddress != "0") {
    auto security = metricsSecurity(o, cfg.value(), copts);
    if (!security) {
      spdlog::error("{}", security.error().message);
      return 1;
    }
    HttpServerOptions serving;
    serving.tls = security->tls;
    // The server holds the collectables; they read `events` and `rounds`, which outlive it.
    auto m = startMetricsServer(
        o.metricsBindAddress,
        {metrics.registry(), reconcileMetrics.perModel(), eventMetrics, analysisMetrics}, serving,
        security->reviewer);
    if (!m) {
      spdlog::error("{}", m.error().message);
      return 1;
    }
    metricsServer = std::move(m.value());
  }
  for (auto& c : caches) {
    c->models.start();
    c->deployments.start();
    c->services.start();
  }

  auto work = [&](const std::string& key) {
    const WorkHeartbeat::Beat beat(heartbeat, key);
    const auto start = std::chrono::steady_clock::now();
    auto r = reconciler.reconcile(key);
    const char* result = r.kind == kube::WorkResult::Kind::kRetry          ? "error"
                         : r.kind == kube::WorkResult::Kind::kRequeueAfter ? "requeue_after"
                                                                           : "success";
    reconcileMetrics.reconciled(result, std::chrono::steady_clock::now() - start);
    if (auto m = models.get(key)) {
      const auto& st = m->has_object_field("status") ? m->at("status") : Json::object();
      const std::string phase =
          st.has_string_field("phase") ? st.at("phase").as_string() : std::string("Pending");
      const int64_t rr =
          st.has_integer_field("readyReplicas") ? st.at("readyReplicas").as_number().to_int64() : 0;
      reconcileMetrics.model(core::jsonString(*m, {"metadata", "namespace"}),
                             core::jsonString(*m, {"metadata", "name"}), phase, rr);
    } else if (const auto slash = key.find('/'); slash != std::string::npos) {
      reconcileMetrics.forget(key.substr(0, slash), key.substr(slash + 1));
    }
    spdlog::debug("reconciled mlmodel={} result={}", key, result);
    return r;
  };

  ManagerParts parts;
  parts.waitForCaches = [&caches](core::SteadyTime deadline) {
    for (auto& c : caches) {
      for (auto* inf : {&c->models, &c->deployments, &c->services}) {
        if (!inf->waitForSync(deadline)) return false;
      }
    }
    return true;
  };
  parts.queue = queue.get();
  parts.workers = o.workers;
  parts.work = work;
  parts.fence = &fence;
  parts.cancel = &cancelRequests;
  parts.wake = [] { kill(getpid(), SIGTERM); };
  parts.flush = [&events] { events.stop(std::chrono::seconds(5)); };
  std::unique_ptr<kube::Client> lockClient;
  if (o.leaderElect) {
    kube::LeaderElectionConfig le;
    le.identity = hostName() + "_" + randomSuffix();
    le.callbacks.onStartedLeading = [&] { metrics.setLeader(o.leaderElectionId, true); };
    le.callbacks.onStoppedLeading = [&] { metrics.setLeader(o.leaderElectionId, false); };
    // The lease's own client: the fence must not stop it renewing or releasing.
    lockClient = kube::makeClient(cfg.value(), kube::lockClientOptions(le));
    const auto ns =
        o.leaderElectionNamespace.empty() ? cfg->namespaceName : o.leaderElectionNamespace;
    spdlog::info("will contend for lease {}/{} as {} once the caches sync", ns, o.leaderElectionId,
                 le.identity);
    auto leadership =
        electorLeadership(kube::makeLeaseLock(*lockClient, ns, o.leaderElectionId), le);
    if (!leadership) {
      spdlog::error("leader election: {}", leadership.error().message);
      return 1;
    }
    parts.leadership = std::move(leadership).value();
  }
  ManagerOptions mopts;
  mopts.gracePeriod = o.gracefulShutdownTimeout;
  Manager manager(std::move(parts), mopts);
  manager.start();

  int sig = 0;
  sigwait(&stopSignals, &sig);
  if (!manager.lostLease()) {
    spdlog::info("received {}, shutting down: finishing reconciles in flight",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  const auto end = manager.stop();
  // A query in flight ends at its timeout (up to 30 s): not worth waiting for.
  const bool measured = rounds.stop(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  if (end.workersStuck || !measured) {
    // A worker is still inside a reconcile (its writes are refused), or a query is in
    // flight: exit without the destructors they would race with.
    spdlog::warn("exiting with {} still in flight",
                 end.workersStuck ? "reconciles" : "analysis queries");
    spdlog::shutdown();
    std::_Exit(end.exitCode);
  }
  for (auto& c : caches) {
    c->models.stop();
    c->deployments.stop();
    c->services.stop();
  }
  events.stop(std::chrono::seconds(5));
  if (metricsServer) metricsServer->stop();
  health.value()->stop();
  spdlog::info("stopped");
  return end.exitCode;
}

}  // namespace mlmodel::server
