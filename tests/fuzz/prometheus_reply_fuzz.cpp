// Prometheus replies come from whatever address an MLModel's analysis names. The first
// byte picks the HTTP status (most inputs are 200), the rest is the body.
#include <memory>

#include "analysis/prometheus_provider.h"
#include "fuzz_input.h"
#include "reply_transport.h"

namespace {

using namespace mlmodel;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 200, 200, 200, 400, 401, 404, 422, 429, 503};
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  std::string body = fuzz::text(data + 1, size - 1);
  auto provider = analysis::PrometheusProvider::create(
      {.address = "http://prometheus.fuzz:9090"},
      [&](const std::string&, const http::TlsOptions&) -> std::unique_ptr<http::Transport> {
        return std::make_unique<fuzz::ReplyTransport>(status, body);
      });
  fuzz::check(provider.ok(), "provider not created");
  (void)provider.value()->query("sum(rate(model_requests_total[1m]))");
  return 0;
}
