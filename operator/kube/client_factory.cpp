#include "kube/client_factory.h"

namespace mlmodel::kube {

std::unique_ptr<Client> makeClient(const Config& config, ClientOptions options) {
  http::TlsOptions tls;
  tls.caPem = config.tls.caPem;
  tls.certPem = config.tls.certPem;
  tls.keyPem = config.tls.keyPem;
  tls.insecureSkipVerify = config.tls.insecureSkipVerify;
  tls.serverName = config.tls.serverName;  // kubeconfig's tls-server-name
  return std::make_unique<Client>(http::makeTransport(config.server, tls), config.credentials,
                                  std::move(options));
}

}  // namespace mlmodel::kube
