#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "kube/config.h"
#include "kube/exec_credential.h"

// The kubeconfig file format (clusters, users, contexts), parsed and merged the way kubectl
// does it. loadKubeconfig() in config.h is the usual entry point; these are its parts.
namespace mlmodel::kube {

// Each entry remembers the file it came from: relative paths were resolved against that
// file's directory at parse time, and errors name it.
struct KubeCluster {
  std::string server;
  std::string certificateAuthority;      // path
  std::string certificateAuthorityData;  // PEM, already base64-decoded
  bool insecureSkipTlsVerify = false;
  std::string tlsServerName;
  std::string file;
};

struct KubeUser {
  std::string clientCertificate, clientKey;          // paths
  std::string clientCertificateData, clientKeyData;  // PEM, already decoded
  std::string token;
  std::string tokenFile;  // path
  std::optional<ExecConfig> exec;
  // An auth method this client does not implement ("auth-provider \"gcp\"", ...). Kept
  // rather than rejected at parse time: it only matters if a chosen context uses the user.
  std::string unsupported;
  std::string file;
};

struct KubeContext {
  std::string cluster;
  std::string user;
  std::string namespaceName;
  std::string file;
};

struct Kubeconfig {
  std::map<std::string, KubeCluster> clusters;
  std::map<std::string, KubeUser> users;
  std::map<std::string, KubeContext> contexts;
  std::string currentContext;
  std::vector<std::string> files;  // in merge order
};

// Parses one kubeconfig document read from `path`. An empty document is an empty config.
core::Result<Kubeconfig> parseKubeconfig(const std::string& yaml, const std::string& path);

// kubectl's merge of KUBECONFIG files: the first file to set a key wins, and so does the
// first non-empty current-context.
void mergeKubeconfig(Kubeconfig& into, Kubeconfig from);

// The client Config of `context` (current-context when empty): reads the files the
// kubeconfig points at and checks that certificates and keys parse.
core::Result<Config> buildConfig(const Kubeconfig& kubeconfig, const std::string& context,
                                 const LoadOptions& opts);

}  // namespace mlmodel::kube
