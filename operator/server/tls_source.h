#pragma once

// Where an HTTPS server gets its certificate: one generated at start (self-signed, as
// kubebuilder's metrics server does when none is given) or a pair of PEM files that a
// Secret mounts, re-read when they change (cert-manager renews them in place).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace mlmodel::server {

class TlsSource {
 public:
  virtual ~TlsSource() = default;
  // The context for a new connection (TLS 1.2 or later, no ALPN: HTTP/1.1 only);
  // connections keep the one they started with.
  virtual std::shared_ptr<boost::asio::ssl::context> context() = 0;
  // The certificate served now, in PEM.
  virtual std::string certificatePem() = 0;
};

// A new P-256 key and a certificate for it, signed by itself, valid for a year, with
// these DNS names (and 127.0.0.1) as subject alternative names.
core::Result<std::shared_ptr<TlsSource>> selfSignedTls(const std::vector<std::string>& dnsNames);

// The certificate chain and key in these files. A new connection looks at the files'
// modification times at most once per `recheck` and loads a changed pair; a pair that
// does not load (half written, or a key that does not match) keeps the one in use and
// is logged. An Error when the first load fails.
core::Result<std::shared_ptr<TlsSource>> fileTls(
    const std::string& certFile, const std::string& keyFile,
    std::chrono::milliseconds recheck = std::chrono::seconds(10),
    const core::Clock& clock = core::SystemClock::instance());

}  // namespace mlmodel::server
