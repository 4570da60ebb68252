#include "audit/spec_diff.h"

#include <map>
#include <set>

namespace mlmodel::audit {
namespace {

// Indexes a list of objects by their string "name"; false when an element has none or two
// share one (matching by name would then hide a change).
bool byName(const Json& array, std::map<std::string, const Json*>& out) {
  for (const Json& e : array.as_array()) {
    if (!e.is_object() || !e.has_string_field("name")) return false;
    if (!out.emplace(e.at("name").as_string(), &e).second) return false;
  }
  return true;
}

std::string member(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

class Differ {
 public:
  explicit Differ(size_t limit) : limit_(limit) {}

  void diff(const Json& before, const Json& after, const std::string& path) {
    if (before.is_object() && after.is_object()) {
      diffObjects(before, after, path);
    } else if (before.is_array() && after.is_array()) {
      diffArrays(before, after, path);
    } else if (before != after) {
      add(path);
    }
  }

  std::vector<std::string> result() && {
    if (found_ > limit_ && limit_ > 0) {
      paths_.resize(limit_ - 1);
      paths_.push_back("\u2026 and " + std::to_string(found_ - paths_.size()) + " more");
    }
    return std::move(paths_);
  }

 private:
  void add(const std::string& path) {
    ++found_;
    if (paths_.size() < limit_) paths_.push_back(path);
  }

  void diffObjects(const Json& before, const Json& after, const std::string& path) {
    // cpprest keeps object keys sorted unless told otherwise; a set makes sure of it.
    std::set<std::string> keys;
    for (const auto& [k, v] : before.as_object()) keys.insert(k);
    for (const auto& [k, v] : after.as_object()) keys.insert(k);
    for (const auto& k : keys) {
      const bool inBefore = before.has_field(k);
      const bool inAfter = after.has_field(k);
      if (inBefore && inAfter) {
        diff(before.at(k), after.at(k), member(path, k));
      } else {
        add(member(path, k));
      }
    }
  }

  void diffArrays(const Json& before, const Json& after, const std::string& path) {
    if (before == after) return;
    std::map<std::string, const Json*> b;
    std::map<std::string, const Json*> a;
    if (!byName(before, b) || !byName(after, a)) {
      add(path);
      return;
    }
    std::set<std::string> names;
    for (const auto& [n, e] : b) names.insert(n);
    for (const auto& [n, e] : a) names.insert(n);
    const size_t foundBefore = found_;
    for (const auto& n : names) {
      const std::string at = path + "[" + n + "]";
      const auto ib = b.find(n);
      const auto ia = a.find(n);
      if (ib != b.end() && ia != a.end()) {
        diff(*ib->second, *ia->second, at);
      } else {
        add(at);
      }
    }
    // The same elements in another order: the order can matter (env refers to earlier env).
    if (found_ == foundBefore) add(path);
  }

  size_t limit_;
  size_t found_ = 0;
  std::vector<std::string> paths_;
};

}  // namespace

std::vector<std::string> changedPaths(const Json& before, const Json& after,
                                      const std::string& prefix, size_t limit) {
  Differ d(limit);
  d.diff(before, after, prefix);
  return std::move(d).result();
}

}  // namespace mlmodel::audit
