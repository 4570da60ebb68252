#include "kube/exec_credential.h"

#include <cpprest/json.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "core/json_read.h"
#include "kube/config_util.h"
#include "kube/exec_process.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace mlmodel::kube {
namespace {

std::string pluginName(const ExecConfig& c) { return "exec plugin \"" + c.command + "\""; }

const web::json::value* field(const web::json::value& obj, const char* name) {
  if (!obj.is_object() || !obj.has_field(name)) return nullptr;
  const auto& v = obj.as_object().at(name);
  return v.is_null() ? nullptr : &v;
}

// The operator's environment, then the kubeconfig's env (which overrides), then the exec
// info, as client-go builds it.
std::vector<std::string> childEnv(const ExecConfig& c) {
  std::vector<std::pair<std::string, std::string>> vars;
  auto set = [&vars](const std::string& name, const std::string& value) {
    for (auto& [n, v] : vars) {
      if (n == name) {
        v = value;
        return;
      }
    }
    vars.emplace_back(name, value);
  };
  for (char** e = environ; e && *e; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto& [n, v] : c.env) set(n, v);
  set("KUBERNETES_EXEC_INFO", execInfoJson(c));
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [n, v] : vars) out.push_back(n + "=" + v);
  return out;
}

}  // namespace

core::Result<ExecCredential> parseExecCredential(const std::string& json,
                                                 const std::string& apiVersion) {
  web::json::value doc;
  try {
    doc = web::json::value::parse(json);
  } catch (const web::json::json_exception& e) {
    return core::Error{std::string("printed output that is not JSON (") + e.what() + ")"};
  }
  if (!doc.is_object()) return core::Error{"printed JSON that is not an object"};
  const std::string kind = core::jsonString(doc, {"kind"});
  if (kind != "ExecCredential") {
    return core::Error{"printed kind \"" + kind + "\", want ExecCredential"};
  }
  const std::string version = core::jsonString(doc, {"apiVersion"});
  if (version != apiVersion) {
    return core::Error{"printed apiVersion \"" + version + "\" but is configured for \"" +
                       apiVersion + "\""};
  }
  const auto* status = field(doc, "status");
  if (!status || !status->is_object()) return core::Error{"printed no status"};
  ExecCredential cred;
  cred.token = core::jsonString(*status, {"token"});
  if (cred.token.empty()) {
    if (!core::jsonString(*status, {"clientCertificateData"}).empty()) {
      return core::Error{"returned a client certificate; only token credentials are supported"};
    }
    return core::Error{"returned no status.token"};
  }
  if (const auto* ts = field(*status, "expirationTimestamp")) {
    if (!ts->is_string()) return core::Error{"status.expirationTimestamp is not a string"};
    auto t = detail::parseRfc3339(ts->as_string());
    if (!t) return core::Error{"status.expirationTimestamp: " + t.error().message};
    cred.expiry = t.value();
  }
  return cred;
}

std::string execInfoJson(const ExecConfig& c) {
  web::json::value spec = web::json::value::object();
  spec["interactive"] = web::json::value::boolean(false);
  if (c.provideClusterInfo) {
    web::json::value cluster = web::json::value::object();
    cluster["server"] = web::json::value::string(c.server);
    if (!c.tlsServerName.empty()) {
      cluster["tls-server-name"] = web::json::value::string(c.tlsServerName);
    }
    if (c.insecureSkipVerify) {
      cluster["insecure-skip-tls-verify"] = web::json::value::boolean(true);
    }
    if (!c.caPem.empty()) {
      cluster["certificate-authority-data"] =
          web::json::value::string(detail::base64Encode(c.caPem));
    }
    spec["cluster"] = cluster;
  }
  web::json::value doc = web::json::value::object();
  doc["apiVersion"] = web::json::value::string(c.apiVersion);
  doc["kind"] = web::json::value::string("ExecCredential");
  doc["spec"] = spec;
  return doc.serialize();
}

ExecCredentialSource::ExecCredentialSource(ExecConfig config, const core::Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

core::Result<ExecCredential> ExecCredentialSource::run() const {
  ProcessSpec spec;
  spec.argv.push_back(config_.command);
  spec.argv.insert(spec.argv.end(), config_.args.begin(), config_.args.end());
  spec.env = childEnv(config_);
  spec.timeout = config_.timeout;
  const std::string name = pluginName(config_);

  auto ran = runProcess(spec);
  if (!ran) {
    std::string msg = name + ": cannot run: " + ran.error().message;
    if (!config_.installHint.empty()) msg += "\n" + config_.installHint;
    return core::Error{msg};
  }
  const ProcessResult& r = ran.value();
  const std::string stderrTail = tailOf(r.err);
  const std::string withStderr = stderrTail.empty() ? "" : "; stderr: " + stderrTail;
  if (r.timedOut) {
    return core::Error{name + ": timed out after " + std::to_string(config_.timeout.count()) +
                       "ms" + withStderr};
  }
  if (r.exitCode != 0) {
    return core::Error{name + ": exited with status " + std::to_string(r.exitCode) + withStderr};
  }
  auto cred = parseExecCredential(r.out, config_.apiVersion);
  if (!cred) return core::Error{name + ": " + cred.error().message + withStderr};
  if (!stderrTail.empty()) spdlog::debug("{} stderr: {}", name, stderrTail);
  return cred;
}

core::Result<std::string> ExecCredentialSource::token() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiry || clock_.wallNow() < *cached_->expiry)) {
    return cached_->token;
  }
  cached_.reset();
  auto cred = run();
  if (!cred) return cred.error();
  cached_ = std::move(cred).value();
  return cached_->token;
}

void ExecCredentialSource::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

}  // namespace mlmodel::kube
