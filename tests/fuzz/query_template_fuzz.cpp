// Query templates come from MLModel specs; the versions substituted into them come from
// specs too, so both are fuzzed: the input is "template\0canary version".
#include "analysis/template.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  const auto nul = input.find('\0');
  analysis::QueryVars vars{
      .name = "fraud",
      .namespaceName = "models",
      .canaryVersion = nul == std::string::npos ? "1.4.0" : input.substr(nul + 1),
      .stableVersion = "1.3.0"};
  auto query = analysis::renderQuery(input.substr(0, nul), vars);
  const std::string escaped = analysis::escapePromString(vars.canaryVersion);
  // An escaped value cannot end the string literal it is put in.
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '"') continue;
    size_t backslashes = 0;
    while (backslashes < i && escaped[i - 1 - backslashes] == '\\') ++backslashes;
    fuzz::check(backslashes % 2 == 1, "unescaped quote");
  }
  (void)query;
  return 0;
}
