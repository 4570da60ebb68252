#pragma once

#include <cpprest/json.h>

#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kube/dictionary_codec.h"
#include "kube/page_resource.h"

namespace mlmodel::kube {

using Json = web::json::value;
using ObjectPtr = std::shared_ptr<const Json>;

// "namespace/name", or "name" for cluster-scoped objects: the key of the cache and of
// the work queue.
std::string objectKey(const Json& object);
std::string resourceVersionOf(const Json& object);

// A thread-safe cache of objects by key, with named secondary indexes (for example
// "owner" -> the owners' uids). Objects are kept as compact JSON text, deflated with the
// first cached object as the dictionary, and parsed on read: a cpprest JSON tree costs
// about five times its text in memory, objects of one kind differ in few bytes, and a
// controller reads a few objects per reconcile while the cache holds thousands. Readers get their
// own immutable copy, so a reader never blocks the writer for longer than a map lookup.
//   store.addIndex("owner", [](const Json& o) { return ownerUids(o); });
//   for (auto& d : store.byIndex("owner", uid)) ...
// Reading one cached object by key: what reconcilers need of a cache, so that several
// caches (one per watched namespace) can stand behind one reader.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual ObjectPtr get(const std::string& key) const = 0;
};

class Store final : public ObjectReader {
 public:
  using IndexFunc = std::function<std::vector<std::string>(const Json&)>;

  // Indexes must be added before objects are.
  void addIndex(const std::string& name, IndexFunc func);

  ObjectPtr get(const std::string& key) const override;
  // The cached object's resourceVersion without parsing it; "" when absent.
  std::string resourceVersion(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;
  std::vector<std::string> keys() const;
  size_t size() const;

  // Inserts or replaces; returns the previous object (null when there was none).
  ObjectPtr upsert(const std::string& key, const Json& object);
  // The same without decoding the previous object: true when there was one.
  bool put(const std::string& key, const Json& object);
  // The same for an object already in compact JSON text; parsed only for indexes.
  ObjectPtr upsertText(const std::string& key, const std::string& resourceVersion,
                       const std::string& text);
  // Removes; returns the removed object (null when there was none).
  ObjectPtr erase(const std::string& key);

 private:
  struct Entry {
    std::pmr::string resourceVersion;
    std::pmr::string packed;           // compact JSON, deflated by codec_
    std::vector<std::string> indexed;  // "index\0value" pairs this entry is filed under
  };
  ObjectPtr parseLocked(const Entry& e) const;
  std::shared_ptr<const DictionaryCodec> codecFor(const std::string& text);
  // Returns the previous object, decoded when `decodeOld` (else a non-null placeholder).
  ObjectPtr insert(const std::string& key, const std::string& resourceVersion,
                   const std::string& text, const Json& object, bool decodeOld = true);
  void unindexLocked(const std::string& key, const Entry& e);

  mutable std::mutex mu_;
  std::shared_ptr<const DictionaryCodec> codec_;  // set by the first insert; guarded by mu_
  // Cached entries live in a pool of their own: scattered among the short-lived
  // allocations of parsing a LIST, they would pin the allocator's freed pages, and the
  // process would keep several times the cache's size resident.
  PageResource pages_;
  std::pmr::unsynchronized_pool_resource pool_{std::pmr::pool_options{0, 4096},
                                               &pages_};  // guarded by mu_
  std::pmr::unordered_map<std::pmr::string, Entry> items_{&pool_};
  std::map<std::string, IndexFunc> indexFuncs_;
  // index name -> index value -> keys
  std::map<std::string, std::unordered_map<std::string, std::set<std::string>>> indexes_;
};

}  // namespace mlmodel::kube
