// A watch body from the API server: one JSON event per line. Each event goes where the
// informer puts it: its key and resourceVersion read, the Deployment projection applied,
// the object stored (deflated) and read back.
#include <deque>

#include "fuzz_input.h"
#include "kube/rest_client.h"
#include "kube/store.h"
#include "kube/transforms.h"

namespace {

using namespace mlmodel;

// The body split at '\n', as the transport's line stream does (CR LF ends a line too).
class BodyLines final : public http::LineStream {
 public:
  explicit BodyLines(std::string body) : body_(std::move(body)) {}
  core::Result<std::optional<std::string>> readLine() override {
    if (pos_ >= body_.size()) return std::optional<std::string>();
    auto nl = body_.find('\n', pos_);
    if (nl == std::string::npos) nl = body_.size();
    size_t end = nl;
    if (end > pos_ && body_[end - 1] == '\r') --end;
    std::string line = body_.substr(pos_, end - pos_);
    pos_ = nl + 1;
    return std::optional<std::string>(std::move(line));
  }
  void cancel() override { pos_ = body_.size(); }

 private:
  std::string body_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kube::WatchStream stream(std::make_unique<BodyLines>(fuzz::text(data, size)));
  kube::Store store;
  for (;;) {
    auto event = stream.next();
    if (!event || !event.value()) break;
    const auto& object = event.value()->object;
    const std::string key = kube::objectKey(object);
    (void)kube::resourceVersionOf(object);
    (void)kube::projectDeployment(object);
    if (event.value()->type == "DELETED") {
      (void)store.erase(key);
      continue;
    }
    store.upsert(key, object);
    auto stored = store.get(key);
    fuzz::check(stored && stored->serialize() == object.serialize(), "stored object differs");
  }
  return 0;
}
