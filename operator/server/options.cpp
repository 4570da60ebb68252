#include "server/options.h"

#include <limits>
#include <optional>
#include <sstream>

#include "core/allowed_urls.h"
#include "registry/allowed_registries.h"

namespace mlmodel::server {
namespace {

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

core::Result<bool> parseBool(const std::string& flag, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return core::Error{"--" + flag + ": expected true or false, got \"" + v + "\""};
}

template <class T>
std::optional<core::Error> errorOf(const core::Result<T>& r) {
  return r ? std::nullopt : std::optional(r.error());
}

}  // namespace

std::string usage() {
  return R"(usage: mlmodel-operator [flags]

Runs the MLModel controller against the Kubernetes API server.

  --kubeconfig PATH                 kubeconfig to use (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --namespace NS[,NS...]            watch only these namespaces (default: all)
  --metrics-bind-address ADDR       where /metrics is served (default :8080; "0" disables)
  --metrics-secure[=BOOL]           serve /metrics over HTTPS to authenticated, authorized
                                    clients only (TokenReview, SubjectAccessReview on get /metrics)
  --metrics-cert-path DIR           folder with the metrics certificate and key (default:
                                    a self-signed pair made at start); re-read when they change
  --metrics-cert-name FILE          certificate file in that folder (default tls.crt)
  --metrics-cert-key FILE           key file in that folder (default tls.key)
  --health-probe-bind-address ADDR  where /healthz and /readyz are served (default :8081)
  --leader-elect[=BOOL]             elect a leader through a Lease before reconciling
  --leader-election-namespace NS    namespace of the Lease (default: the operator's own)
  --leader-election-id NAME         name of the Lease (default mlmodel-operator-leader)
  --workers N                       concurrent reconciles (default 8)
  --wedged-worker-timeout SECONDS   /healthz fails when a reconcile runs this long (default 60)
  --graceful-shutdown-timeout SECONDS
                                    on SIGTERM, how long reconciles in flight may finish
                                    before their writes are refused (default 15)
  --log-level LEVEL                 debug, info, warn or error (default info)
  --log-format FORMAT               text or json (default text)
  --insecure-registry HOST:PORT     a registry spoken to over plain HTTP (repeatable)
  --prometheus-max-reply-mib N      the largest Prometheus query reply read, in MiB (default 8)
  --prometheus-default-address URL  the Prometheus of models that name none
  --prometheus-allowed-prefixes URL[,URL...]
                                    the only Prometheus addresses models may name (URL prefixes,
                                    repeatable; default: any); a model naming another is refused
  --allowed-registries HOST[/PATH][,...]
                                    the only registries (or repositories) images may come from
                                    (repeatable; default: any); a model naming another is refused
  --mlflow-default-address URL      the MLflow tracking server of models whose spec.mlflow
                                    names no address
  --mlflow-allowed-prefixes URL[,URL...]
                                    the only MLflow addresses models may name (URL prefixes,
                                    repeatable; default: any); a model naming another is refused
  --version                         print the version and exit
  --help                            print this help and exit
)";
}

core::Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.rfind("--", 0) != 0) return core::Error{"unexpected argument \"" + arg + "\""};
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto next = [&]() -> core::Result<std::string> {
      if (value) return *value;
      if (i + 1 >= args.size()) return core::Error{"--" + name + ": needs a value"};
      return args[++i];
    };
    auto take = [&](std::string& into) -> core::Status {
      auto v = next();
      if (!v) return v.error();
      into = v.value();
      return core::Ok{};
    };
    // An integer flag within [min, max]; `expected` names what it counts.
    auto takeInt = [&](int& into, int min, int max, const char* expected) -> core::Status {
      auto v = next();
      if (!v) return v.error();
      const std::string flag = "--" + name + ": ";
      try {
        into = std::stoi(v.value());
      } catch (const std::exception&) {
        return core::Error{flag + "expected " + expected + ", got \"" + v.value() + "\""};
      }
      if (into < min || into > max) {
        return core::Error{flag +
                           (max == std::numeric_limits<int>::max()
                                ? "must be at least " + std::to_string(min)
                                : "must be " + std::to_string(min) + ".." + std::to_string(max))};
      }
      return core::Ok{};
    };
    core::Status st = core::Ok{};
    if (name == "help" || name == "h") {
      o.help = true;
    } else if (name == "version") {
      o.version = true;
    } else if (name == "kubeconfig") {
      st = take(o.kubeconfig);
    } else if (name == "namespace" || name == "namespaces") {
      std::string v;
      st = take(v);
      for (auto& ns : splitComma(v)) o.namespaces.push_back(ns);
    } else if (name == "metrics-bind-address") {
      st = take(o.metricsBindAddress);
    } else if (name == "health-probe-bind-address") {
      st = take(o.healthProbeBindAddress);
    } else if (name == "leader-elect" || name == "metrics-secure") {
      bool& into = name == "leader-elect" ? o.leaderElect : o.metricsSecure;
      if (value) {
        auto b = parseBool(name, *value);
        if (!b) return b.error();
        into = b.value();
      } else {
        into = true;
      }
    } else if (name == "metrics-cert-path") {
      st = take(o.metricsCertPath);
    } else if (name == "metrics-cert-name") {
      st = take(o.metricsCertName);
    } else if (name == "metrics-cert-key") {
      st = take(o.metricsCertKey);
    } else if (name == "leader-election-namespace") {
      st = take(o.leaderElectionNamespace);
    } else if (name == "leader-election-id") {
      st = take(o.leaderElectionId);
    } else if (name == "workers") {
      st = takeInt(o.workers, 1, 64, "a number");
    } else if (name == "prometheus-max-reply-mib") {
      st = takeInt(o.prometheusMaxReplyMiB, 1, 1024, "a number");
    } else if (name == "graceful-shutdown-timeout") {
      int secs = 0;
      st = takeInt(secs, 0, 3600, "seconds");
      if (st) o.gracefulShutdownTimeout = std::chrono::seconds(secs);
    } else if (name == "wedged-worker-timeout") {
      int secs = 0;
      st = takeInt(secs, 1, std::numeric_limits<int>::max(), "seconds");
      if (st) o.wedgedWorkerTimeout = std::chrono::seconds(secs);
    } else if (name == "log-level") {
      st = take(o.logLevel);
      if (st && o.logLevel != "debug" && o.logLevel != "info" && o.logLevel != "warn" &&
          o.logLevel != "error") {
        return core::Error{"--log-level: one of debug, info, warn, error; got \"" + o.logLevel +
                           "\""};
      }
    } else if (name == "log-format") {
      st = take(o.logFormat);
      if (st && o.logFormat != "text" && o.logFormat != "json") {
        return core::Error{"--log-format: text or json; got \"" + o.logFormat + "\""};
      }
    } else if (name == "prometheus-default-address") {
      st = take(o.prometheusDefaultAddress);
      if (st && !core::AllowedUrls::parse({o.prometheusDefaultAddress})) {
        return core::Error{"--prometheus-default-address: \"" + o.prometheusDefaultAddress +
                           "\" is not an http or https URL such as http://prometheus:9090"};
      }
    } else if (name == "mlflow-default-address") {
      st = take(o.mlflowDefaultAddress);
      if (st && !core::AllowedUrls::parse({o.mlflowDefaultAddress})) {
        return core::Error{"--mlflow-default-address: \"" + o.mlflowDefaultAddress +
                           "\" is not an http or https URL such as http://mlflow:5000"};
      }
    } else if (name == "prometheus-allowed-prefixes" || name == "allowed-registries" ||
               name == "mlflow-allowed-prefixes") {
      std::string v;
      st = take(v);
      auto& into = name == "allowed-registries"        ? o.allowedRegistries
                   : name == "mlflow-allowed-prefixes" ? o.mlflowAllowedPrefixes
                                                       : o.prometheusAllowedPrefixes;
      for (auto& x : splitComma(v)) into.push_back(x);
      const std::optional<core::Error> bad =
          name == "allowed-registries"
              ? errorOf(registry::AllowedRegistries::parse(o.allowedRegistries))
              : errorOf(core::AllowedUrls::parse(into));
      if (st && bad) return core::Error{"--" + name + ": " + bad->message};
    } else if (name == "insecure-registry") {
      std::string v;
      st = take(v);
      for (auto& r : splitComma(v)) o.insecureRegistries.insert(r);
    } else {
      return core::Error{"unknown flag --" + name + " (see --help)"};
    }
    if (!st) return st.error();
  }
  if (!o.metricsCertPath.empty() && !o.metricsSecure) {
    return core::Error{"--metrics-cert-path: needs --metrics-secure"};
  }
  return o;
}

}  // namespace mlmodel::server
