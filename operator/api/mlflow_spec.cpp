#include "api/mlflow_spec.h"

#include "api/rollout.h"

namespace mlmodel::api {
namespace {

core::Error invalid(const std::string& path, const std::string& what) {
  return core::Error{path + ": " + what, 0, "InvalidSpec"};
}

// Sets `out` from an optional string field when present.
core::Status readString(const JsonFields& f, const char* field, std::string& out) {
  auto v = f.string(field);
  if (!v) return v.error();
  if (v.value()) out = *v.value();
  return core::Ok{};
}

core::Status readSecretName(const JsonFields& f, const char* field, std::string& out) {
  auto ref = f.object(field);
  if (!ref) return ref.error();
  if (!ref.value()) return core::Ok{};
  return readString(JsonFields(*ref.value(), f.pathOf(field)), "name", out);
}

}  // namespace

std::string MlflowSpec::templateImage(const std::string& v) const {
  std::string out = imageTemplate;
  const std::string placeholder = kVersionPlaceholder;
  for (size_t at = out.find(placeholder); at != std::string::npos;
       at = out.find(placeholder, at + v.size())) {
    out.replace(at, placeholder.size(), v);
  }
  return out;
}

std::string MlflowSpec::selector() const {
  return alias.empty() ? "version " + version : "alias " + alias;
}

core::Result<std::optional<MlflowSpec>> decodeMlflow(const JsonFields& spec) {
  auto obj = spec.object("mlflow");
  if (!obj) return obj.error();
  if (!obj.value()) return std::optional<MlflowSpec>{};
  const std::string path = spec.pathOf("mlflow");
  JsonFields f(*obj.value(), path);
  MlflowSpec m;
  for (auto [field, out] :
       {std::pair{"address", &m.address}, std::pair{"model", &m.model},
        std::pair{"alias", &m.alias}, std::pair{"version", &m.version},
        std::pair{"imageTag", &m.imageTag}, std::pair{"imageTemplate", &m.imageTemplate}}) {
    if (auto s = readString(f, field, *out); !s) return s.error();
  }
  if (auto s = readSecretName(f, "authSecretRef", m.authSecret); !s) return s.error();
  if (auto s = readSecretName(f, "caSecretRef", m.caSecret); !s) return s.error();
  auto interval = f.string("interval");
  if (!interval) return interval.error();
  if (interval.value()) {
    auto d = parseDuration(*interval.value());
    if (!d || d->count() < 1000) {
      return invalid(f.pathOf("interval"), "must be a duration of at least 1s, such as 1m");
    }
    m.interval = *d;
  }
  auto wb = f.boolean("writeBack");
  if (!wb) return wb.error();
  if (wb.value()) m.writeBack = *wb.value();
  // What the CRD's CEL rules say, for objects stored before them.
  if (m.model.empty()) return invalid(path + ".model", "required");
  if (m.alias.empty() == m.version.empty()) {
    return invalid(path, "set exactly one of alias and version");
  }
  if (m.imageTag.empty()) m.imageTag = kDefaultImageTag;
  if (!m.imageTemplate.empty() && m.imageTemplate.find(kVersionPlaceholder) == std::string::npos) {
    return invalid(path + ".imageTemplate",
                   std::string("must contain ") + kVersionPlaceholder + ", where the version goes");
  }
  return std::optional<MlflowSpec>(m);
}

}  // namespace mlmodel::api
