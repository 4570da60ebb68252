#include "kube/store.h"

#include "core/json_parse.h"
#include "core/json_read.h"

namespace mlmodel::kube {

namespace {}  // namespace

std::string objectKey(const Json& object) {
  const auto ns = core::jsonString(object, {"metadata", "namespace"});
  const auto name = core::jsonString(object, {"metadata", "name"});
  return ns.empty() ? name : ns + "/" + name;
}

std::string resourceVersionOf(const Json& object) {
  return core::jsonString(object, {"metadata", "resourceVersion"});
}

namespace {
ObjectPtr unpack(const DictionaryCodec& codec, std::string_view packed) {
  return std::make_shared<const Json>(core::parseJson(codec.decompress(packed)));
}
}  // namespace

ObjectPtr Store::parseLocked(const Entry& e) const { return unpack(*codec_, e.packed); }

std::shared_ptr<const DictionaryCodec> Store::codecFor(const std::string& text) {
  std::lock_guard lock(mu_);
  if (!codec_) codec_ = std::make_shared<const DictionaryCodec>(text);
  return codec_;
}

void Store::addIndex(const std::string& name, IndexFunc func) {
  std::lock_guard lock(mu_);
  indexFuncs_[name] = std::move(func);
  indexes_[name];
}

ObjectPtr Store::get(const std::string& key) const {
  std::string packed;
  std::shared_ptr<const DictionaryCodec> codec;
  {
    std::lock_guard lock(mu_);
    auto it = items_.find(std::pmr::string(key));
    if (it == items_.end()) return nullptr;
    packed = std::string(it->second.packed);
    codec = codec_;
  }
  return unpack(*codec, packed);  // outside the lock
}

std::string Store::resourceVersion(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(std::pmr::string(key));
  return it == items_.end() ? "" : std::string(it->second.resourceVersion);
}

std::vector<ObjectPtr> Store::list() const {
  std::vector<std::string> packed;
  std::shared_ptr<const DictionaryCodec> codec;
  {
    std::lock_guard lock(mu_);
    packed.reserve(items_.size());
    for (const auto& [_, e] : items_) packed.emplace_back(e.packed);
    codec = codec_;
  }
  std::vector<ObjectPtr> out;
  out.reserve(packed.size());
  for (const auto& p : packed) out.push_back(unpack(*codec, p));
  return out;
}

std::vector<ObjectPtr> Store::byIndex(const std::string& index, const std::string& value) const {
  std::vector<std::string> packed;
  std::shared_ptr<const DictionaryCodec> codec;
  {
    std::lock_guard lock(mu_);
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) return {};
    auto keys = idx->second.find(value);
    if (keys == idx->second.end()) return {};
    for (const auto& key : keys->second)
      packed.emplace_back(items_.at(std::pmr::string(key)).packed);
    codec = codec_;
  }
  std::vector<ObjectPtr> out;
  for (const auto& p : packed) out.push_back(unpack(*codec, p));
  return out;
}

std::vector<std::string> Store::keys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, _] : items_) out.emplace_back(key);
  return out;
}

size_t Store::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

void Store::unindexLocked(const std::string& key, const Entry& e) {
  for (const auto& pair : e.indexed) {
    const auto sep = pair.find('\0');
    auto& index = indexes_[pair.substr(0, sep)];
    auto it = index.find(pair.substr(sep + 1));
    if (it == index.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) index.erase(it);
  }
}

ObjectPtr Store::upsert(const std::string& key, const Json& object) {
  return insert(key, resourceVersionOf(object), object.serialize(), object);
}

bool Store::put(const std::string& key, const Json& object) {
  return insert(key, resourceVersionOf(object), object.serialize(), object, false) != nullptr;
}

ObjectPtr Store::upsertText(const std::string& key, const std::string& resourceVersion,
                            const std::string& text) {
  bool indexed;
  {
    std::lock_guard lock(mu_);
    indexed = !indexFuncs_.empty();
  }
  const Json object = indexed ? core::parseJson(text) : Json::null();
  return insert(key, resourceVersion, text, object);
}

ObjectPtr Store::insert(const std::string& key, const std::string& resourceVersion,
                        const std::string& text, const Json& object, bool decodeOld) {
  const auto codec = codecFor(text);
  const std::string packed = codec->compress(text);  // outside the lock
  std::lock_guard lock(mu_);
  Entry e{std::pmr::string(resourceVersion, &pool_), std::pmr::string(packed, &pool_), {}};
  for (const auto& [name, func] : indexFuncs_) {
    for (const auto& value : func(object)) e.indexed.push_back(name + '\0' + value);
  }
  ObjectPtr old;
  auto it = items_.find(std::pmr::string(key));
  if (it != items_.end()) {
    static const ObjectPtr kPlaceholder = std::make_shared<const Json>();
    old = decodeOld ? parseLocked(it->second) : kPlaceholder;
    unindexLocked(key, it->second);
  }
  for (const auto& pair : e.indexed) {
    const auto sep = pair.find('\0');
    indexes_[pair.substr(0, sep)][pair.substr(sep + 1)].insert(key);
  }
  items_.insert_or_assign(std::pmr::string(key, &pool_), std::move(e));
  return old;
}

ObjectPtr Store::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = items_.find(std::pmr::string(key));
  if (it == items_.end()) return nullptr;
  ObjectPtr old = parseLocked(it->second);
  unindexLocked(key, it->second);
  items_.erase(it);
  return old;
}

}  // namespace mlmodel::kube
