// MLflow replies come from whatever address an MLModel's spec.mlflow names. The first byte
// picks the HTTP status (most inputs are 200), the rest is the body; each input is read as
// an alias lookup, a version lookup and a tag write, and a version that decodes must turn
// into an image, or an Error, the way the reconciler does.
#include <memory>

#include "controller/model_source.h"
#include "fuzz_input.h"
#include "mlflow/client.h"
#include "reply_transport.h"

namespace {

using namespace mlmodel;

// MLflow as the reconciler reads it, answering with the fuzzed client.
class ClientVersions final : public controller::VersionSource {
 public:
  explicit ClientVersions(mlflow::Client& c) : client_(c) {}
  core::Result<mlflow::ModelVersion> lookup(const std::string&,
                                            const api::MlflowSpec& spec) override {
    return client_.byAlias(spec.model, spec.alias);
  }
  core::Status tag(const std::string&, const api::MlflowSpec&, const std::string&,
                   const std::string&, const std::string&) override {
    return core::Ok{};
  }

 private:
  mlflow::Client& client_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 200, 200, 200, 400, 401, 403, 404, 429, 503};
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  std::string body = fuzz::text(data + 1, size - 1);
  auto client = mlflow::Client::create(
      {.address = "http://mlflow.fuzz:5000"},
      [&](const std::string&, const http::TlsOptions&) -> std::unique_ptr<http::Transport> {
        return std::make_unique<fuzz::ReplyTransport>(status, body);
      });
  fuzz::check(client.ok(), "client not created");
  (void)client.value()->byVersion("fraud", "7");
  (void)client.value()->setTag("fraud", "7", "serving.mlops.dev/ml/fraud", "Promoted");
  ClientVersions versions(*client.value());
  api::MLModel model;
  model.metadata.name = "fraud";
  model.metadata.ns = "ml";
  model.spec.mlflow = api::MlflowSpec{};
  model.spec.mlflow->model = "fraud";
  model.spec.mlflow->alias = "champion";
  const auto s = controller::resolveSource(model, versions, "2026-11-30T00:00:00Z");
  // Either an image to run, or an error saying why there is none.
  fuzz::check(!s.image.empty() || s.error.has_value(), "neither an image nor an error");
  return 0;
}
