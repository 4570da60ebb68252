#pragma once

#include <cpprest/json.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlmodel::core {

// Fields a parse leaves out, by path: "metadata.managedFields" drops that field, "*" stands
// for any array element, or any key that no path names exactly at that level
// ("items.*.metadata.managedFields"). A dropped value is
// checked as JSON but never built: most of what the API server sends about an object is
// never read, and building it is most of the cost of reading it.
class JsonPrune {
 public:
  JsonPrune(std::initializer_list<std::string_view> paths);
  // The same paths under a prefix: JsonPrune({"metadata.managedFields"}, "items.*").
  JsonPrune(const std::vector<std::string>& paths, std::string_view prefix);

  struct Node {
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> children;  // "*" matches any
    bool drop = false;
    const Node* child(std::string_view key) const;
  };
  const Node* root() const { return &root_; }

 private:
  void add(std::string_view path);

  Node root_;
};

// RFC 8259 JSON text to a cpprest value, the same value web::json::value::parse builds
// (objects sorted by key, positive integers unsigned, negative ones signed, others double)
// at a fraction of its cost. Stricter than cpprest: no comments, no leading zeros, no raw
// control characters, 0xFF bytes or unpaired surrogates in strings, no numbers beyond a
// double's range, no key twice in an object it builds, nesting at most 127 deep. Throws
// web::json::json_exception naming the byte offset of the first error.
web::json::value parseJson(std::string_view text, const JsonPrune* prune = nullptr);

}  // namespace mlmodel::core
