#include "registry/caching_resolver.h"

namespace mlmodel::registry {
namespace {

// The reference and who asks. The credentials themselves are part of the key (they are
// in memory anyway): a hash could let two passwords of one user share an answer.
std::string keyOf(const ImageReference& ref, const Credentials* creds) {
  std::string key = ref.str();
  if (creds && !creds->empty()) {
    for (const std::string* part : {&creds->username, &creds->password, &creds->identityToken}) {
      key += '\x1f';
      key += *part;
    }
  }
  return key;
}

}  // namespace

CachingResolver::CachingResolver(Resolver& inner, Options options)
    : inner_(inner),
      options_(options),
      clock_(options.clock ? *options.clock : core::SystemClock::instance()) {}

core::Result<Resolution> CachingResolver::resolve(const ImageReference& ref,
                                                  const Credentials* creds) {
  // A digest names one manifest for good; only tags move.
  if (!ref.digest.empty() || options_.ttl <= core::Duration::zero()) {
    return inner_.resolve(ref, creds);
  }
  const std::string key = keyOf(ref, creds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (clock_.steadyNow() < it->second.expires) return it->second.resolution;
      entries_.erase(it);
    }
  }
  // Asked outside the lock: one slow registry must not hold up the others. Two models
  // asking at once may both go to the registry; both answers are right.
  auto r = inner_.resolve(ref, creds);
  if (!r) return r;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_.steadyNow();
  if (entries_.size() >= options_.maxEntries) {
    std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
    if (entries_.size() >= options_.maxEntries) entries_.clear();
  }
  entries_.insert_or_assign(key, Entry{r.value(), now + options_.ttl});
  return r;
}

std::size_t CachingResolver::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace mlmodel::registry
