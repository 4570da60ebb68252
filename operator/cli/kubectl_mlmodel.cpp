// kubectl-mlmodel: the kubectl plugin for MLModels (`kubectl mlmodel ...` once on PATH).
// Every command reads or patches the MLModel through the API server; the operator does the
// rest. The command line and help are plugin/command_line.h's. Exit codes: 0 done (help and
// version too), 1 failed (rolled back, stalled, an API error, a usage error), 2 `wait` timed
// out.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "api/mlmodel.h"
#include "api/rollout.h"
#include "cli/git_commit.h"
#include "kube/client_factory.h"
#include "kube/config.h"
#include "plugin/command_line.h"
#include "plugin/model_view.h"
#include "plugin/revision_view.h"
#include "plugin/version.h"

namespace {

using mlmodel::kube::Json;
namespace plugin = mlmodel::plugin;
namespace api = mlmodel::api;

class Cli {
 public:
  Cli(std::unique_ptr<mlmodel::kube::Client> client, std::string ns)
      : client_(std::move(client)), ns_(std::move(ns)) {}

  mlmodel::core::Result<Json> get(const std::string& name) {
    return client_->get(api::mlmodels, ns_, name);
  }

  // The specs the operator kept of the model's revisions; none (with a note) when they
  // cannot be listed, so diff and rollback still work from the history alone.
  plugin::RevisionSpecs revisions(const std::string& name) {
    mlmodel::kube::ListOptions o;
    o.labelSelector = "serving.mlops.dev/model=" + name;
    auto l = client_->list(mlmodel::kube::resources::controllerRevisions, ns_, o);
    if (!l) {
      std::cerr << "warning: cannot list the revisions of " << name << " (" << l.error().message
                << "); using the image and version in its history\n";
      return {};
    }
    return plugin::revisionSpecsOf(l->items);
  }

  int patch(const std::string& name, const Json& body, const std::string& done) {
    auto r = client_->patch(api::mlmodels, ns_, name, mlmodel::kube::PatchType::Merge, body);
    if (!r) return fail(r.error().message);
    std::cout << "mlmodel.serving.mlops.dev/" << name << " " << done << "\n";
    return 0;
  }

  int annotate(const std::string& name, const char* key, const std::string& value,
               const std::string& done) {
    Json body = Json::object();
    body["metadata"]["annotations"][key] = Json::string(value);
    return patch(name, body, done);
  }

  // Polls the model until judgeWait says Done or Failed, printing each new state.
  int wait(const std::string& name, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string last;
    for (;;) {
      auto m = get(name);
      if (!m) return fail(m.error().message);
      const auto v = plugin::judgeWait(m.value());
      if (v.state == plugin::WaitState::Done) {
        std::cout << name << ": " << v.message << "\n";
        return 0;
      }
      if (v.state == plugin::WaitState::Failed) {
        std::cerr << name << ": failed: " << v.message << "\n";
        return 1;
      }
      if (v.message != last) std::cerr << name << ": " << v.message << "\n";
      last = v.message;
      if (std::chrono::steady_clock::now() >= end) {
        std::cerr << name << ": timed out; still " << v.message << "\n";
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  static int fail(const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  }

 private:
  std::unique_ptr<mlmodel::kube::Client> client_;
  std::string ns_;
};

int run(const plugin::Invocation& a) {
  if (a.command == "version") {
    std::cout << plugin::versionText({MLMODEL_VERSION, mlmodel::cli::kGitCommit}, a.output);
    return 0;
  }
  mlmodel::kube::LoadOptions lo;
  lo.kubeconfigFlag = a.kubeconfig;
  lo.context = a.context;
  auto cfg = mlmodel::kube::loadConfig(lo);
  if (!cfg) return Cli::fail(cfg.error().message);
  const std::string ns = a.ns.empty() ? cfg.value().namespaceName : a.ns;
  mlmodel::kube::ClientOptions co;
  co.userAgent = "kubectl-mlmodel";
  Cli cli(mlmodel::kube::makeClient(cfg.value(), co), ns);

  if (a.command == "set image") {
    Json body = Json::object();
    body["spec"]["image"] = Json::string(a.image);
    // The version follows the new tag unless the spec names one.
    body["spec"]["version"] = Json::null();
    if (int rc = cli.patch(a.name, body, "image set to " + a.image); rc != 0) return rc;
    return a.wait ? cli.wait(a.name, a.timeout) : 0;
  }
  if (a.command == "pause" || a.command == "resume") {
    Json body = Json::object();
    body["spec"]["rollout"]["paused"] = Json::boolean(a.command == "pause");
    return cli.patch(a.name, body, a.command == "pause" ? "paused" : "resumed");
  }
  if (a.command == "retry") {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return cli.annotate(
        a.name, api::kRetryAnnotation,
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()),
        "retry requested");
  }
  if (a.command == "wait") return cli.wait(a.name, a.timeout);

  auto m = cli.get(a.name);
  if (!m) return Cli::fail(m.error().message);
  if (a.command == "status") {
    std::cout << plugin::describeStatus(m.value());
    return 0;
  }
  if (a.command == "history") {
    std::cout << plugin::historyTable(m.value());
    return 0;
  }
  if (a.command == "promote" || a.command == "abort") {
    const std::string v = plugin::canaryVersion(m.value());
    if (v.empty()) return Cli::fail(a.name + " has no canary running: nothing to " + a.command);
    return cli.annotate(a.name,
                        a.command == "promote" ? api::kPromoteAnnotation : api::kAbortAnnotation, v,
                        (a.command == "promote" ? "promoting canary " : "aborting canary ") + v);
  }
  if (a.command == "diff") {
    auto d = plugin::revisionDiff(m.value(), a.revision, a.revisionTo, cli.revisions(a.name));
    if (!d) return Cli::fail(d.error().message);
    std::cout << d.value();
    return 0;
  }
  if (a.command == "rollback") {
    auto body = plugin::rollbackPatch(m.value(), a.revision, cli.revisions(a.name));
    if (!body) return Cli::fail(body.error().message);
    // Fields added since are nulled: only against the spec that was read (409 otherwise).
    body.value()["metadata"]["resourceVersion"] = m.value().at("metadata").at("resourceVersion");
    const Json& spec = body.value().at("spec");
    const std::string what = spec.has_string_field("image") ? spec.at("image").as_string()
                             : spec.has_object_field("mlflow")
                                 ? "MLflow version " + spec.at("mlflow").at("version").as_string()
                                 : "";
    return cli.patch(a.name, body.value(),
                     "rolling back to revision " + std::to_string(a.revision) + " (" + what + ")");
  }
  return Cli::fail("kubectl-mlmodel cannot run " + a.command +
                   " (a bug: it parses but has no code)");
}

}  // namespace

int main(int argc, char** argv) {
  const auto line = plugin::parseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!line.invocation) {
    std::cout << line.out;
    std::cerr << line.err;
    return line.exitCode;
  }
  return run(*line.invocation);
}
