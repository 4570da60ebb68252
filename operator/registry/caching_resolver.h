#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "registry/resolver.h"

namespace mlmodel::registry {

// Remembers what a tag resolved to for a short while, so that many models naming one
// image at once (a fleet applied from Git, models sharing a runtime image) cost the
// registry one request instead of one each. Only answers are remembered, never errors;
// the key includes the credentials, so a digest resolved with one namespace's pull secret
// is never handed to a model without it. A tag pushed again may be answered with its
// previous digest for up to the TTL.
//   CachingResolver cached(distribution, {std::chrono::seconds(10)});
class CachingResolver final : public Resolver {
 public:
  struct Options {
    core::Duration ttl = std::chrono::seconds(10);
    std::size_t maxEntries = 1024;
    const core::Clock* clock = nullptr;  // SystemClock when null
  };

  CachingResolver(Resolver& inner, Options options);
  core::Result<Resolution> resolve(const ImageReference& ref, const Credentials* creds) override;
  std::size_t size() const;  // answers remembered

 private:
  struct Entry {
    Resolution resolution;
    core::SteadyTime expires;
  };
  Resolver& inner_;
  const Options options_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mlmodel::registry
