// The operator benchmark's stopwatch: follows one resource of one namespace through an
// informer (list, then watch, relisting on 410 and reconnecting on a dropped watch) and
// reports when N objects have the condition TYPE with status True.
//   mlmodel_wait_ready NAMESPACE deployments|mlmodels TYPE N TIMEOUT_SECONDS
// Prints "synced" once its cache is filled (start the create after that line), then
// "reached <unix seconds>" the moment N objects have the condition, and exits 0; or
// "timeout <count>" once TIMEOUT_SECONDS have passed since "synced", and exits 1. A kubectl --watch
// did this before, and at 1,000 objects twice stopped reporting changes without an error while the
// objects had turned Ready.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <string>

#include "kube/client_factory.h"
#include "kube/informer.h"

using namespace mlmodel;
using kube::Json;

namespace {

bool hasCondition(const Json& obj, const std::string& type) {
  if (!obj.has_object_field("status")) return false;
  const Json& status = obj.at("status");
  if (!status.has_array_field("conditions")) return false;
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.has_string_field("type") && c.at("type").as_string() == type &&
        c.has_string_field("status") && c.at("status").as_string() == "True") {
      return true;
    }
  }
  return false;
}

// Only the name and the conditions are read: keep the cache small.
Json project(Json obj) {
  Json out = Json::object();
  out["metadata"] = Json::object();
  for (const char* f : {"name", "namespace", "resourceVersion"}) {
    if (obj.at("metadata").has_string_field(f)) out["metadata"][f] = obj.at("metadata").at(f);
  }
  if (obj.has_object_field("status") && obj.at("status").has_array_field("conditions")) {
    out["status"] = Json::object();
    out["status"]["conditions"] = obj.at("status").at("conditions");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr
        << "usage: mlmodel_wait_ready NAMESPACE deployments|mlmodels TYPE N TIMEOUT_SECONDS\n";
    return 2;
  }
  const std::string ns = argv[1], resource = argv[2], type = argv[3];
  const size_t want = std::strtoul(argv[4], nullptr, 10);
  const auto limit = std::chrono::seconds(std::atoi(argv[5]));
  kube::ResourceType rt = kube::resources::deployments;
  if (resource == "mlmodels") {
    rt = kube::ResourceType{"serving.mlops.dev", "v1alpha1", "mlmodels", true};
  } else if (resource != "deployments") {
    std::cerr << "mlmodel_wait_ready: deployments or mlmodels, not " << resource << "\n";
    return 2;
  }
  auto cfg = kube::loadConfig({});
  if (!cfg) {
    std::cerr << "mlmodel_wait_ready: " << cfg.error().message << "\n";
    return 2;
  }
  // Declared before the informer, so that they outlive its thread on every return.
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> ready;
  double reachedAt = 0;

  auto client = kube::makeClient(cfg.value());
  kube::ClientListerWatcher lw(*client, rt, ns);
  kube::InformerOptions opts;
  opts.transform = project;
  kube::Informer informer(lw, opts);
  auto note = [&](const kube::ObjectPtr& obj, bool gone) {
    const std::string name = obj->at("metadata").at("name").as_string();
    std::lock_guard<std::mutex> lock(mu);
    if (!gone && hasCondition(*obj, type)) {
      ready.insert(name);
    } else {
      ready.erase(name);
    }
    if (ready.size() >= want && reachedAt == 0) {
      reachedAt = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                      .count();
      cv.notify_all();
    }
  };
  kube::EventHandlers h;
  h.onAdd = [&](const kube::ObjectPtr& o) { note(o, false); };
  h.onUpdate = [&](const kube::ObjectPtr&, const kube::ObjectPtr& o) { note(o, false); };
  h.onDelete = [&](const kube::ObjectPtr& o, bool) { note(o, true); };
  informer.addHandlers(h);
  informer.start();
  if (!informer.waitForSync(std::chrono::steady_clock::now() + std::chrono::minutes(1))) {
    std::cerr << "mlmodel_wait_ready: no list of " << resource << " in " << ns
              << " within a minute\n";
    informer.stop();
    return 1;
  }
  std::printf("synced\n");
  std::fflush(stdout);
  // The limit counts from here: the caller starts its create once it reads "synced".
  const auto deadline = std::chrono::steady_clock::now() + limit;

  std::unique_lock<std::mutex> lock(mu);
  const bool reached = cv.wait_until(lock, deadline, [&] { return reachedAt != 0; });
  if (reached) {
    std::printf("reached %.3f\n", reachedAt);
  } else {
    std::printf("timeout %zu\n", ready.size());
  }
  std::fflush(stdout);
  lock.unlock();
  informer.stop();
  return reached ? 0 : 1;
}
