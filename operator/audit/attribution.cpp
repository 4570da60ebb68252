#include "audit/attribution.h"

#include <optional>

#include "core/json_read.h"
#include "core/time_format.h"

namespace mlmodel::audit {
namespace {

constexpr size_t kMaxChangeCause = 256;

bool writesSpec(const Json& entry) {
  const Json* spec = core::jsonFind(entry, {"fieldsV1", "f:spec"});
  return spec && spec->is_object() && core::jsonString(entry, {"subresource"}).empty();
}

std::string label(const Json& object, const char* key) {
  return core::jsonString(object, {"metadata", "labels", key});
}

// The APP of Argo CD's tracking id "APP:GROUP/KIND:NAMESPACE/NAME" (GROUP and NAMESPACE
// may be empty); "" when the value is not of that form.
std::string argoApplication(const std::string& id) {
  const auto first = id.find(':');
  if (first == 0 || first == std::string::npos) return "";
  const auto second = id.find(':', first + 1);
  if (second == std::string::npos || id.find(':', second + 1) != std::string::npos) return "";
  const auto slash = id.find('/', first);
  if (slash > second || id.find('/', second) == std::string::npos) return "";
  return id.substr(0, first);
}

std::string gitopsSource(const Json& object) {
  const std::string ksName = label(object, "kustomize.toolkit.fluxcd.io/name");
  const std::string ksNamespace = label(object, "kustomize.toolkit.fluxcd.io/namespace");
  if (!ksName.empty() && !ksNamespace.empty()) {
    return "flux:Kustomization " + ksNamespace + "/" + ksName;
  }
  const std::string hrName = label(object, "helm.toolkit.fluxcd.io/name");
  const std::string hrNamespace = label(object, "helm.toolkit.fluxcd.io/namespace");
  if (!hrName.empty() && !hrNamespace.empty()) {
    return "flux:HelmRelease " + hrNamespace + "/" + hrName;
  }
  // Not app.kubernetes.io/instance, Argo CD's older tracking label: Helm sets it as well.
  const std::string app = argoApplication(
      core::jsonString(object, {"metadata", "annotations", "argocd.argoproj.io/tracking-id"}));
  if (!app.empty()) return "argocd:Application " + app;
  return "";
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(const std::string& s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && isSpace(s[begin])) ++begin;
  while (end > begin && isSpace(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

bool isContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

ChangeAuthor whoChangedSpec(const Json& object) {
  ChangeAuthor author;
  author.gitops = gitopsSource(object);
  const Json* entries = core::jsonFind(object, {"metadata", "managedFields"});
  if (!entries || !entries->is_array()) return author;
  const Json* latest = nullptr;
  // nullopt, an entry without a readable time, orders below every time.
  std::optional<core::WallTime> latestTime;
  for (const Json& entry : entries->as_array()) {
    if (!writesSpec(entry)) continue;
    const auto time = core::parseRfc3339(core::jsonString(entry, {"time"}));
    if (time < latestTime) continue;
    latest = &entry;
    latestTime = time;
  }
  if (!latest) return author;
  author.manager = core::jsonString(*latest, {"manager"});
  author.operation = core::jsonString(*latest, {"operation"});
  author.time = core::jsonString(*latest, {"time"});
  return author;
}

std::string changeCause(const Json& object) {
  std::string cause =
      trim(core::jsonString(object, {"metadata", "annotations", "kubernetes.io/change-cause"}));
  if (cause.size() <= kMaxChangeCause) return cause;
  size_t cut = kMaxChangeCause;
  // Back over at most three continuation bytes: a UTF-8 character has four bytes at most.
  for (int i = 0; i < 3 && cut > 0 && isContinuationByte(cause[cut]); ++i) --cut;
  return trim(cause.substr(0, cut));
}

}  // namespace mlmodel::audit
