#pragma once

#include <cpprest/json.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlmodel::kube {

using Json = web::json::value;
using ObjectPtr = std::shared_ptr<const Json>;

// "namespace/name", or "name" for cluster-scoped objects: the key of the cache and of
// the work queue.
std::string objectKey(const Json& object);
std::string resourceVersionOf(const Json& object);

// A thread-safe cache of objects by key, with named secondary indexes (for example
// "owner" -> the owners' uids). Readers get shared, immutable snapshots of objects, so a
// reader never blocks the writer for longer than a map lookup.
//   store.addIndex("owner", [](const Json& o) { return ownerUids(o); });
//   for (auto& d : store.byIndex("owner", uid)) ...
class Store {
 public:
  using IndexFunc = std::function<std::vector<std::string>(const Json&)>;

  // Indexes must be added before objects are.
  void addIndex(const std::string& name, IndexFunc func);

  ObjectPtr get(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;
  std::vector<std::string> keys() const;
  size_t size() const;

  // Inserts or replaces; returns the previous object (null when there was none).
  ObjectPtr upsert(const std::string& key, ObjectPtr object);
  // Removes; returns the removed object (null when there was none).
  ObjectPtr erase(const std::string& key);

 private:
  void indexLocked(const std::string& key, const Json& object, bool add);

  mutable std::mutex mu_;
  std::unordered_map<std::string, ObjectPtr> items_;
  std::map<std::string, IndexFunc> indexFuncs_;
  // index name -> index value -> keys
  std::map<std::string, std::unordered_map<std::string, std::set<std::string>>> indexes_;
};

}  // namespace mlmodel::kube
