#include "plugin/version.h"

#include <cpprest/json.h>

namespace mlmodel::plugin {

std::string versionText(const BuildInfo& build, const std::string& output) {
  const auto version = web::json::value::string(build.version);
  const auto commit = web::json::value::string(build.gitCommit);
  if (output == "json") {
    auto o = web::json::value::object(true);
    o["version"] = version;
    o["gitCommit"] = commit;
    return o.serialize() + "\n";
  }
  // JSON strings are YAML double-quoted scalars: a commit of digits stays a string.
  if (output == "yaml")
    return "version: " + version.serialize() + "\ngitCommit: " + commit.serialize() + "\n";
  std::string line = "kubectl mlmodel version " + build.version;
  if (!build.gitCommit.empty()) line += " (commit " + build.gitCommit + ")";
  return line + "\n";
}

}  // namespace mlmodel::plugin
