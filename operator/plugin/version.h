#pragma once

#include <string>

namespace mlmodel::plugin {

// What the plugin binary was built from: the CMake project version and the git commit
// ("" when built outside a git checkout, as in the image build).
struct BuildInfo {
  std::string version;
  std::string gitCommit;
};

// `kubectl mlmodel version`: one line of text, or with output "json"/"yaml" an object
// {version, gitCommit} for scripts.
std::string versionText(const BuildInfo& build, const std::string& output);

}  // namespace mlmodel::plugin
