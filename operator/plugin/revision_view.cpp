#include "plugin/revision_view.h"

#include <sstream>

#include "audit/revision_spec.h"
#include "audit/spec_diff.h"
#include "core/json_read.h"

namespace mlmodel::plugin {
namespace {

const Json* historyOf(const Json& m) {
  const Json* h = core::jsonFind(m, {"status", "history"});
  return h && h->is_array() ? h : nullptr;
}

core::Result<const Json*> entry(const Json& m, int revision) {
  const Json* h = historyOf(m);
  const int n = h ? static_cast<int>(h->size()) : 0;
  if (revision < 1 || revision > n) {
    return core::Error{"no revision " + std::to_string(revision) + " in the history of " +
                           core::jsonString(m, {"metadata", "name"}) +
                           (n == 0 ? " (it has none)" : " (it has 1.." + std::to_string(n) + ")"),
                       0, "NotFound"};
  }
  return &h->at(static_cast<size_t>(revision - 1));
}

// The kept spec of a history entry, or its image and version alone (`whole` false).
Json specOf(const Json& e, const RevisionSpecs& specs, bool& whole) {
  auto it = specs.find(core::jsonString(e, {"templateHash"}));
  whole = it != specs.end();
  if (whole) return it->second;
  Json s = Json::object();
  s["image"] = Json::string(core::jsonString(e, {"image"}));
  s["version"] = Json::string(core::jsonString(e, {"version"}));
  return s;
}

// The value at a path changedPaths() printed: "spec.env[LOG].value" under `spec`.
const Json* valueAt(const Json& spec, const std::string& path) {
  const Json* v = &spec;
  std::string rest = path.rfind("spec.", 0) == 0 ? path.substr(5) : path;
  while (!rest.empty() && v) {
    // Keys may hold dots themselves (nvidia.com/gpu, kubernetes.io/os): take the longest
    // key of this object that the path continues from.
    std::string part;
    if (v->is_object()) {
      for (const auto& [k, _] : v->as_object()) {
        const bool fits = rest.rfind(k, 0) == 0 && (rest.size() == k.size() ||
                                                    rest[k.size()] == '.' || rest[k.size()] == '[');
        if (fits && k.size() > part.size()) part = k;
      }
    }
    if (part.empty()) return nullptr;
    rest = rest.substr(part.size());
    std::string key;
    if (!rest.empty() && rest[0] == '[') {
      const size_t close = rest.find(']');
      if (close == std::string::npos) return nullptr;
      key = rest.substr(1, close - 1);
      rest = rest.substr(close + 1);
    }
    if (!rest.empty() && rest[0] == '.') rest = rest.substr(1);
    v = &v->at(part);
    if (v && !key.empty()) {
      const Json* found = nullptr;
      if (v->is_array()) {
        for (const auto& el : v->as_array()) {
          if (core::jsonString(el, {"name"}) == key) found = &el;
        }
      }
      v = found;
    }
  }
  return v;
}

std::string shown(const Json* v) {
  if (!v || v->is_null()) return "(none)";
  return v->serialize();
}

}  // namespace

RevisionSpecs revisionSpecsOf(const std::vector<Json>& controllerRevisions) {
  RevisionSpecs out;
  for (const auto& cr : controllerRevisions) {
    const std::string hash =
        core::jsonString(cr, {"metadata", "labels", "serving.mlops.dev/template-hash"});
    const Json* spec = core::jsonFind(cr, {"data", "spec"});
    if (!hash.empty() && spec && spec->is_object()) out[hash] = *spec;
  }
  return out;
}

core::Result<std::string> revisionDiff(const Json& model, int from, int to,
                                       const RevisionSpecs& specs) {
  auto a = entry(model, from);
  if (!a) return a.error();
  auto b = entry(model, to);
  if (!b) return b.error();
  bool wholeA = false, wholeB = false;
  const Json before = specOf(*a.value(), specs, wholeA);
  const Json after = specOf(*b.value(), specs, wholeB);
  std::ostringstream out;
  out << "revision " << from << " (" << core::jsonString(*a.value(), {"version"})
      << ") -> revision " << to << " (" << core::jsonString(*b.value(), {"version"}) << ")\n";
  for (auto [n, whole] : {std::pair{from, wholeA}, std::pair{to, wholeB}}) {
    if (!whole) out << "  (revision " << n << ": only its image and version were kept)\n";
  }
  // Compared only where both sides are whole; else only image and version mean anything.
  Json left = before, right = after;
  if (!wholeA || !wholeB) {
    for (Json* s : {&left, &right}) {
      Json slim = Json::object();
      for (const char* f : {"image", "version"}) {
        if (s->has_field(f)) slim[f] = s->at(f);
      }
      *s = slim;
    }
  }
  const auto paths = audit::changedPaths(left, right, "spec", 64);
  if (paths.empty()) out << "  no difference\n";
  for (const auto& p : paths) {
    if (p.rfind("spec", 0) != 0) {  // "... and N more"
      out << "  " << p << "\n";
      continue;
    }
    out << "  " << p << ": " << shown(valueAt(left, p)) << " -> " << shown(valueAt(right, p))
        << "\n";
  }
  return out.str();
}

core::Result<Json> rollbackPatch(const Json& model, int revision, const RevisionSpecs& specs) {
  auto e = entry(model, revision);
  if (!e) return e.error();
  bool whole = false;
  const Json spec = specOf(*e.value(), specs, whole);
  const Json* current = core::jsonFind(model, {"spec"});
  Json patch =
      whole ? audit::rollbackSpecPatch(spec, current ? *current : Json::object()) : Json::object();
  if (!whole) {
    patch["spec"]["image"] = spec.at("image");
    patch["spec"]["version"] = spec.at("version");
  }
  if (current && current->has_object_field("mlflow")) {
    // spec.image and spec.mlflow exclude each other: pin the revision's MLflow version.
    const std::string v = core::jsonString(*e.value(), {"mlflow", "version"});
    if (v.empty()) {
      return core::Error{"revision " + std::to_string(revision) +
                             " did not come from MLflow: set spec.image by hand to leave MLflow",
                         0, "Invalid"};
    }
    patch["spec"]["image"] = Json::null();
    patch["spec"]["version"] = Json::null();
    patch["spec"]["mlflow"]["alias"] = Json::null();
    patch["spec"]["mlflow"]["version"] = Json::string(v);
    // The version number is the revision's registered model's.
    patch["spec"]["mlflow"]["model"] =
        Json::string(core::jsonString(*e.value(), {"mlflow", "model"}));
  }
  return patch;
}

}  // namespace mlmodel::plugin
