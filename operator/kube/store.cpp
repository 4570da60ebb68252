#include "kube/store.h"

namespace mlmodel::kube {

namespace {
std::string metaString(const Json& object, const char* field) {
  if (!object.is_object() || !object.has_object_field("metadata")) return "";
  const auto& meta = object.at("metadata");
  return meta.has_string_field(field) ? meta.at(field).as_string() : "";
}
}  // namespace

std::string objectKey(const Json& object) {
  const auto ns = metaString(object, "namespace");
  const auto name = metaString(object, "name");
  return ns.empty() ? name : ns + "/" + name;
}

std::string resourceVersionOf(const Json& object) { return metaString(object, "resourceVersion"); }

void Store::addIndex(const std::string& name, IndexFunc func) {
  std::lock_guard lock(mu_);
  indexFuncs_[name] = std::move(func);
  indexes_[name];
}

ObjectPtr Store::get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [_, obj] : items_) out.push_back(obj);
  return out;
}

std::vector<ObjectPtr> Store::byIndex(const std::string& index, const std::string& value) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  for (const auto& key : keys->second) out.push_back(items_.at(key));
  return out;
}

std::vector<std::string> Store::keys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, _] : items_) out.push_back(key);
  return out;
}

size_t Store::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

void Store::indexLocked(const std::string& key, const Json& object, bool add) {
  for (const auto& [name, func] : indexFuncs_) {
    auto& index = indexes_[name];
    for (const auto& value : func(object)) {
      if (add) {
        index[value].insert(key);
        continue;
      }
      auto it = index.find(value);
      if (it == index.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) index.erase(it);
    }
  }
}

ObjectPtr Store::upsert(const std::string& key, ObjectPtr object) {
  std::lock_guard lock(mu_);
  ObjectPtr old;
  auto it = items_.find(key);
  if (it != items_.end()) {
    old = it->second;
    indexLocked(key, *old, false);
    it->second = object;
  } else {
    items_.emplace(key, object);
  }
  indexLocked(key, *object, true);
  return old;
}

ObjectPtr Store::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = it->second;
  indexLocked(key, *old, false);
  items_.erase(it);
  return old;
}

}  // namespace mlmodel::kube
