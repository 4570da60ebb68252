// core::parseJson against cpprest's own parser, which it replaces on the hot paths: what
// it accepts cpprest accepts too, as the same value (same types, same key order, same
// serialization), and a prune drops exactly the pruned fields. Anything else is an
// exception, never a crash.
#include "core/json_parse.h"
#include "fuzz_input.h"

namespace {

using Json = web::json::value;

// cpprest's value minus what the prune below drops: "a" at the top, and "x" in every
// element of an array under "items".
void dropPruned(Json& v) {
  if (!v.is_object()) return;
  if (v.has_field("a")) v.erase("a");
  if (v.has_array_field("items")) {
    for (auto& item : v.at("items").as_array()) {
      if (item.is_object() && item.has_field("x")) item.erase("x");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  Json ours;
  try {
    ours = core::parseJson(input);
  } catch (const web::json::json_exception&) {
    return 0;  // rejected: the documented outcome
  }
  auto theirs = fuzz::json(data, size);
  fuzz::check(theirs.has_value(), "accepted what cpprest rejects");
  fuzz::check(ours == *theirs, "a different value than cpprest's");
  fuzz::check(ours.serialize() == theirs->serialize(), "serialized differently from cpprest's");

  static const core::JsonPrune prune{"a", "items.*.x"};
  const Json pruned = core::parseJson(input, &prune);
  dropPruned(*theirs);
  fuzz::check(pruned == *theirs, "the prune dropped something else");
  return 0;
}
