#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

#include "kube/config_util.h"

namespace mlmodel::kube {
namespace {

// Thrown inside the parser only, so that each field read stays one line; parseKubeconfig
// turns it into an Error.
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads fields of one YAML map, naming `where` ("cluster \"prod\"") in its errors.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string where) : node_(node), where_(std::move(where)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail("must be a map");
  }

  std::string str(const char* key) const {
    const YAML::Node v = get(key);
    if (!v) return {};
    if (!v.IsScalar()) fail(std::string(key) + " must be a string");
    return v.Scalar();
  }

  bool boolean(const char* key) const {
    const YAML::Node v = get(key);
    if (!v) return false;
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
      fail(std::string(key) + " must be true or false");
    }
    return b;
  }

  std::vector<std::string> strings(const char* key) const {
    const YAML::Node v = get(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v.IsSequence()) fail(std::string(key) + " must be a list");
    for (const auto& item : v) {
      if (!item.IsScalar()) fail(std::string(key) + " must be a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  // base64 `key`, decoded.
  std::string data(const char* key) const {
    std::string raw = str(key);
    if (raw.empty()) return raw;
    auto decoded = detail::base64Decode(raw);
    if (!decoded) fail(std::string(key) + ": " + decoded.error().message);
    return decoded.value();
  }

  bool has(const char* key) const { return static_cast<bool>(get(key)); }
  YAML::Node child(const char* key) const { return get(key); }
  const std::string& where() const { return where_; }
  [[noreturn]] void fail(const std::string& what) const { throw ParseError(where_ + ": " + what); }

 private:
  // The value, or an invalid node when absent or null.
  YAML::Node get(const char* key) const {
    if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node v = node_[key];
    if (!v || v.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    return v;
  }

  YAML::Node node_;
  std::string where_;
};

// Calls fn(name, innerFields) for each `- name: x\n  <inner>: {...}` of list `key`.
template <class Fn>
void forEachNamed(const YAML::Node& root, const char* key, const char* inner, Fn fn) {
  const YAML::Node list = root[key];
  if (!list || list.IsNull()) return;
  if (!list.IsSequence()) throw ParseError(std::string(key) + " must be a list");
  for (const auto& item : list) {
    const Fields entry(item, std::string(key) + " entry");
    const std::string name = entry.str("name");
    if (name.empty()) entry.fail("has no name");
    fn(name, Fields(entry.child(inner), std::string(inner) + " \"" + name + "\""));
  }
}

KubeCluster parseCluster(const Fields& f, const std::string& dir) {
  KubeCluster c;
  c.server = f.str("server");
  c.certificateAuthority = detail::resolvePath(f.str("certificate-authority"), dir);
  c.certificateAuthorityData = f.data("certificate-authority-data");
  c.insecureSkipTlsVerify = f.boolean("insecure-skip-tls-verify");
  c.tlsServerName = f.str("tls-server-name");
  return c;
}

ExecConfig parseExec(const Fields& f, const std::string& dir) {
  ExecConfig e;
  e.apiVersion = f.str("apiVersion");
  if (e.apiVersion != kExecApiV1 && e.apiVersion != kExecApiV1beta1) {
    f.fail("exec apiVersion \"" + e.apiVersion + "\" is not supported (use " + kExecApiV1 + " or " +
           kExecApiV1beta1 + ")");
  }
  e.command = f.str("command");
  if (e.command.empty()) f.fail("exec has no command");
  // Like client-go: a relative command with a slash is relative to the kubeconfig, a bare
  // name is looked up in PATH.
  if (e.command.find('/') != std::string::npos) e.command = detail::resolvePath(e.command, dir);
  e.args = f.strings("args");
  const YAML::Node env = f.child("env");
  if (env && !env.IsSequence()) f.fail("exec env must be a list");
  for (const auto& item : env) {
    const Fields var(item, f.where() + " exec env");
    if (var.str("name").empty()) var.fail("entry has no name");
    e.env.emplace_back(var.str("name"), var.str("value"));
  }
  e.installHint = f.str("installHint");
  e.provideClusterInfo = f.boolean("provideClusterInfo");
  // The operator has no terminal to prompt on.
  if (f.str("interactiveMode") == "Always") {
    f.fail("exec interactiveMode Always needs a terminal; use Never or IfAvailable");
  }
  return e;
}

KubeUser parseUser(const Fields& f, const std::string& dir) {
  KubeUser u;
  u.clientCertificate = detail::resolvePath(f.str("client-certificate"), dir);
  u.clientCertificateData = f.data("client-certificate-data");
  u.clientKey = detail::resolvePath(f.str("client-key"), dir);
  u.clientKeyData = f.data("client-key-data");
  u.token = f.str("token");
  u.tokenFile = detail::resolvePath(f.str("tokenFile"), dir);
  if (f.has("exec")) u.exec = parseExec(Fields(f.child("exec"), f.where()), dir);
  if (f.has("auth-provider")) {
    const Fields ap(f.child("auth-provider"), f.where() + " auth-provider");
    u.unsupported = "auth-provider \"" + ap.str("name") +
                    "\" (removed from Kubernetes clients; use an exec plugin)";
  } else if (f.has("username") || f.has("password")) {
    u.unsupported = "username/password (basic auth)";
  } else if (f.has("as") || f.has("as-groups") || f.has("as-uid")) {
    u.unsupported = "impersonation (as, as-groups, as-uid)";
  }
  return u;
}

}  // namespace

core::Result<Kubeconfig> parseKubeconfig(const std::string& yaml, const std::string& path) {
  Kubeconfig kc;
  kc.files.push_back(path);
  const std::string dir = detail::dirName(path);
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root || root.IsNull()) return kc;
    if (!root.IsMap()) return core::Error{"kubeconfig " + path + ": not a YAML map"};
    const Fields top(root, "top level");
    kc.currentContext = top.str("current-context");
    forEachNamed(root, "clusters", "cluster", [&](const std::string& name, const Fields& f) {
      KubeCluster c = parseCluster(f, dir);
      c.file = path;
      kc.clusters.try_emplace(name, std::move(c));
    });
    forEachNamed(root, "users", "user", [&](const std::string& name, const Fields& f) {
      KubeUser u = parseUser(f, dir);
      u.file = path;
      kc.users.try_emplace(name, std::move(u));
    });
    forEachNamed(root, "contexts", "context", [&](const std::string& name, const Fields& f) {
      KubeContext c{f.str("cluster"), f.str("user"), f.str("namespace"), path};
      kc.contexts.try_emplace(name, std::move(c));
    });
  } catch (const ParseError& e) {
    return core::Error{"kubeconfig " + path + ": " + e.what()};
  } catch (const YAML::Exception& e) {
    return core::Error{"kubeconfig " + path + ": invalid YAML: " + e.what()};
  }
  return kc;
}

void mergeKubeconfig(Kubeconfig& into, Kubeconfig from) {
  for (auto& [k, v] : from.clusters) into.clusters.try_emplace(k, std::move(v));
  for (auto& [k, v] : from.users) into.users.try_emplace(k, std::move(v));
  for (auto& [k, v] : from.contexts) into.contexts.try_emplace(k, std::move(v));
  if (into.currentContext.empty()) into.currentContext = std::move(from.currentContext);
  for (auto& f : from.files) into.files.push_back(std::move(f));
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// PEM from inline data, else from the file, else empty. `what` names the field.
core::Result<std::string> pemFrom(const std::string& data, const std::string& path,
                                  const std::string& what) {
  if (!data.empty()) return data;
  if (path.empty()) return std::string();
  auto content = detail::readFile(path);
  if (!content) return core::Error{what + ": " + content.error().message};
  return content;
}

core::Status applyCluster(const KubeCluster& c, const std::string& where, Config& cfg) {
  if (c.server.empty()) return core::Error{where + ": no server"};
  cfg.server = c.server;
  if (cfg.server.find("://") == std::string::npos) cfg.server = "https://" + cfg.server;
  while (cfg.server.size() > 1 && cfg.server.back() == '/') cfg.server.pop_back();
  auto ca = pemFrom(c.certificateAuthorityData, c.certificateAuthority, "certificate-authority");
  if (!ca) return core::Error{where + ": " + ca.error().message};
  if (!ca->empty()) {
    if (auto ok = detail::checkPemCertificates(ca.value()); !ok) {
      return core::Error{where + ": certificate-authority: " + ok.error().message};
    }
  }
  // client-go refuses this combination too: which of the two was meant is unclear.
  if (c.insecureSkipTlsVerify && !ca->empty()) {
    return core::Error{where +
                       ": insecure-skip-tls-verify and a certificate-authority are "
                       "both set"};
  }
  cfg.tls.caPem = std::move(ca).value();
  cfg.tls.insecureSkipVerify = c.insecureSkipTlsVerify;
  cfg.tls.serverName = c.tlsServerName;
  return core::Ok{};
}

core::Status applyUser(const KubeUser& u, const std::string& where, const core::Clock& clock,
                       Config& cfg) {
  if (!u.unsupported.empty()) return core::Error{where + ": unsupported " + u.unsupported};
  auto cert = pemFrom(u.clientCertificateData, u.clientCertificate, "client-certificate");
  if (!cert) return core::Error{where + ": " + cert.error().message};
  auto key = pemFrom(u.clientKeyData, u.clientKey, "client-key");
  if (!key) return core::Error{where + ": " + key.error().message};
  if (cert->empty() != key->empty()) {
    return core::Error{where + ": a client certificate needs both a certificate and a key"};
  }
  if (!cert->empty()) {
    if (auto ok = detail::checkPemKeyPair(cert.value(), key.value()); !ok) {
      return core::Error{where + ": " + ok.error().message};
    }
  }
  cfg.tls.certPem = std::move(cert).value();
  cfg.tls.keyPem = std::move(key).value();

  // Precedence as in client-go: tokenFile, then token; an exec plugin only when neither a
  // token nor a client certificate is configured.
  if (!u.tokenFile.empty()) {
    auto source = std::make_shared<TokenFileSource>(u.tokenFile, clock);
    if (auto t = source->token(); !t) return core::Error{where + ": " + t.error().message};
    cfg.credentials = std::move(source);
  } else if (!u.token.empty()) {
    cfg.credentials = std::make_shared<StaticTokenSource>(u.token);
  } else if (u.exec && cfg.tls.certPem.empty()) {
    ExecConfig exec = *u.exec;
    exec.server = cfg.server;
    exec.tlsServerName = cfg.tls.serverName;
    exec.caPem = cfg.tls.caPem;
    exec.insecureSkipVerify = cfg.tls.insecureSkipVerify;
    cfg.credentials = std::make_shared<ExecCredentialSource>(std::move(exec), clock);
  }
  return core::Ok{};
}

}  // namespace

core::Result<Config> buildConfig(const Kubeconfig& kc, const std::string& context,
                                 const LoadOptions& opts) {
  const std::string files = "kubeconfig " + joined(kc.files);
  const std::string name = context.empty() ? kc.currentContext : context;
  if (name.empty()) return core::Error{files + ": no current-context is set and none was given"};
  const auto ctx = kc.contexts.find(name);
  if (ctx == kc.contexts.end()) {
    std::vector<std::string> known;
    for (const auto& [k, v] : kc.contexts) known.push_back("\"" + k + "\"");
    return core::Error{
        files + ": context \"" + name + "\" not found" +
        (known.empty() ? " (no contexts defined)" : " (have " + joined(known) + ")")};
  }
  const KubeContext& c = ctx->second;
  const std::string where = "kubeconfig " + c.file + ": context \"" + name + "\"";
  Config cfg;
  const auto cluster = kc.clusters.find(c.cluster);
  if (c.cluster.empty() || cluster == kc.clusters.end()) {
    return core::Error{where + ": cluster \"" + c.cluster + "\" not found in " + files};
  }
  const std::string clusterWhere =
      "kubeconfig " + cluster->second.file + ": cluster \"" + c.cluster + "\"";
  if (auto ok = applyCluster(cluster->second, clusterWhere, cfg); !ok) return ok.error();

  if (!c.user.empty()) {
    const auto user = kc.users.find(c.user);
    if (user == kc.users.end()) {
      return core::Error{where + ": user \"" + c.user + "\" not found in " + files};
    }
    const std::string userWhere = "kubeconfig " + user->second.file + ": user \"" + c.user + "\"";
    const core::Clock& clock = opts.clock ? *opts.clock : core::SystemClock::instance();
    if (auto ok = applyUser(user->second, userWhere, clock, cfg); !ok) return ok.error();
  }
  if (!c.namespaceName.empty()) cfg.namespaceName = c.namespaceName;
  cfg.source = "kubeconfig " + c.file + " (context " + name + ")";
  return cfg;
}

core::Result<Config> loadKubeconfig(const std::vector<std::string>& files,
                                    const std::string& context, const LoadOptions& opts) {
  Kubeconfig merged;
  std::vector<std::string> seen;
  std::string lastMissing;
  for (const auto& path : files) {
    if (path.empty() || std::find(seen.begin(), seen.end(), path) != seen.end()) continue;
    seen.push_back(path);
    if (!detail::fileExists(path)) {
      lastMissing = path;
      continue;
    }
    auto content = detail::readFile(path);
    if (!content) return core::Error{"kubeconfig " + content.error().message};
    auto parsed = parseKubeconfig(content.value(), path);
    if (!parsed) return parsed.error();
    mergeKubeconfig(merged, std::move(parsed).value());
  }
  if (merged.files.empty()) {
    if (seen.size() == 1) return core::Error{"kubeconfig " + lastMissing + ": no such file"};
    return core::Error{"none of the kubeconfig files exist: " + joined(seen)};
  }
  return buildConfig(merged, context, opts);
}

}  // namespace mlmodel::kube
