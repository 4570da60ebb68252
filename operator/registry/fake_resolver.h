#pragma once

// A scripted Resolver for tests of the layers above registry/: answers by the image
// reference's str() and records what it was asked.
//   FakeResolver fake;
//   fake.set("docker.io/library/fraud:1.4.0", Resolution{"sha256:...", "..."});
//   fake.set("docker.io/library/fraud:9.9", core::Error{"... tag not found", 404,
//                                                       kReasonManifestUnknown});

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/resolver.h"

namespace mlmodel::registry {

class FakeResolver final : public Resolver {
 public:
  struct Call {
    ImageReference ref;
    std::optional<Credentials> creds;
  };

  void set(const std::string& image, core::Result<Resolution> answer) {
    std::lock_guard<std::mutex> guard(mu_);
    answers_.insert_or_assign(image, std::move(answer));
  }

  core::Result<Resolution> resolve(const ImageReference& ref, const Credentials* creds) override {
    std::lock_guard<std::mutex> guard(mu_);
    calls_.push_back({ref, creds ? std::optional<Credentials>(*creds) : std::nullopt});
    auto it = answers_.find(ref.str());
    if (it == answers_.end()) {
      return core::Error{"image " + ref.str() + ": tag not found (FakeResolver has no answer)", 404,
                         kReasonManifestUnknown};
    }
    return it->second;
  }

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> guard(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, core::Result<Resolution>> answers_;
  std::vector<Call> calls_;
};

}  // namespace mlmodel::registry
