#include "core/json_parse.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace mlmodel::core {
namespace {

using Json = web::json::value;
using Node = JsonPrune::Node;

constexpr int kMaxDepth = 127;  // cpprest's parser allows 128

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  Json document(const Node* prune) {
    space();
    Json v = value(prune, 0);
    space();
    if (p_ != end_) fail("unexpected text after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw web::json::json_exception(std::string("JSON: ") + what + " at byte " +
                                    std::to_string(p_ - begin_));
  }

  void space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  char peek() const { return p_ == end_ ? '\0' : *p_; }

  void expect(char c, const char* what) {
    if (peek() != c) fail(what);
    ++p_;
  }

  Json value(const Node* prune, int depth) {
    switch (peek()) {
      case '{':
        return object(prune, depth + 1);
      case '[':
        return array(prune, depth + 1);
      case '"': {
        ++p_;
        std::string s;
        const bool escaped = string(&s);
        return Json(std::move(s), escaped);
      }
      case 't':
        literal("true");
        return Json(true);
      case 'f':
        literal("false");
        return Json(false);
      case 'n':
        literal("null");
        return Json::null();
      default:
        return number();
    }
  }

  // Checks a value without building it.
  void skip(int depth) {
    switch (peek()) {
      case '{':
      case '[': {
        const char close = *p_ == '{' ? '}' : ']';
        const bool isObject = close == '}';
        if (depth + 1 > kMaxDepth) fail("nesting too deep");
        ++p_;
        space();
        if (peek() == close) {
          ++p_;
          return;
        }
        for (;;) {
          space();
          if (isObject) {
            expect('"', "expected a string key");
            string(nullptr);
            space();
            expect(':', "expected ':'");
            space();
          }
          skip(depth + 1);
          space();
          if (peek() == ',') {
            ++p_;
            continue;
          }
          expect(close, isObject ? "expected ',' or '}'" : "expected ',' or ']'");
          return;
        }
      }
      case '"':
        ++p_;
        string(nullptr);
        return;
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        number();
    }
  }

  Json object(const Node* prune, int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    ++p_;  // {
    std::vector<std::pair<std::string, Json>> fields;
    space();
    if (peek() == '}') {
      ++p_;
      return Json::object(std::move(fields));
    }
    for (;;) {
      space();
      expect('"', "expected a string key");
      std::string key;
      string(&key);
      space();
      expect(':', "expected ':'");
      space();
      const Node* child = prune ? prune->child(key) : nullptr;
      if (child && child->drop) {
        skip(depth);
      } else {
        Json v = value(child, depth);
        fields.emplace_back(std::move(key), std::move(v));
      }
      space();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      expect('}', "expected ',' or '}'");
      // Sorted by key, as cpprest's own parser leaves objects. A key twice is refused: the
      // sort would order its values at random, so that the object would not read back the
      // same from its own serialization (the API server never sends one).
      Json out = Json::object(std::move(fields));
      const auto& sorted = out.as_object();
      for (auto it = sorted.begin(), prev = it; it != sorted.end(); prev = it++) {
        if (it != prev && it->first == prev->first) fail("a key appears twice in an object");
      }
      return out;
    }
  }

  Json array(const Node* prune, int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    ++p_;  // [
    std::vector<Json> items;
    const Node* child = prune ? prune->child("*") : nullptr;
    space();
    if (peek() == ']') {
      ++p_;
      return Json::array(std::move(items));
    }
    for (;;) {
      space();
      if (child && child->drop) {
        skip(depth);
      } else {
        items.push_back(value(child, depth));
      }
      space();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      expect(']', "expected ',' or ']'");
      return Json::array(std::move(items));
    }
  }

  // After the opening quote; through the closing one. Appends to `out` unless null.
  // Returns whether the literal held an escape (cpprest then escapes it when serializing).
  bool string(std::string* out) {
    bool escaped = false;
    const char* run = p_;
    for (;;) {
      if (p_ == end_) fail("unterminated string");
      const char c = *p_;
      if (c == '"') {
        if (out) out->append(run, p_);
        ++p_;
        return escaped;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c == '\xFF') fail("byte 0xFF in a string (never in UTF-8)");
      if (c != '\\') {
        ++p_;
        continue;
      }
      if (out) out->append(run, p_);
      escaped = true;
      ++p_;
      unescape(out);
      run = p_;
    }
  }

  // After a backslash.
  void unescape(std::string* out) {
    if (p_ == end_) fail("unterminated string");
    const char c = *p_++;
    char plain = 0;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        plain = c;
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("unpaired surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') fail("unpaired surrogate");
          p_ += 2;
          const uint32_t low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) appendUtf8(*out, cp);
        return;
      }
      default:
        --p_;
        fail("invalid escape");
    }
    if (out) *out += plain;
  }

  uint32_t hex4() {
    if (end_ - p_ < 4) fail("short \\u escape");
    uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hexValue(p_[i]);
      if (h < 0) fail("invalid \\u escape");
      cp = cp * 16 + static_cast<uint32_t>(h);
    }
    p_ += 4;
    return cp;
  }

  void literal(const char* word) {
    const size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) {
      fail("invalid literal");
    }
    p_ += n;
  }

  Json number() {
    const char* start = p_;
    const bool negative = peek() == '-';
    if (negative) ++p_;
    if (!isDigit(peek())) fail("expected a value");
    if (*p_ == '0') {
      ++p_;
      if (isDigit(peek())) fail("leading zero in a number");
    } else {
      while (isDigit(peek())) ++p_;
    }
    bool integer = true;
    if (peek() == '.') {
      integer = false;
      ++p_;
      if (!isDigit(peek())) fail("expected a digit after '.'");
      while (isDigit(peek())) ++p_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      ++p_;
      if (peek() == '+' || peek() == '-') ++p_;
      if (!isDigit(peek())) fail("expected a digit in the exponent");
      while (isDigit(peek())) ++p_;
    }
    if (integer) {
      uint64_t magnitude = 0;
      bool fits = true;
      for (const char* d = start + (negative ? 1 : 0); d != p_; ++d) {
        const auto digit = static_cast<uint64_t>(*d - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) {
          fits = false;
          break;
        }
        magnitude = magnitude * 10 + digit;
      }
      // As cpprest: positive integers unsigned, negative ones signed down to INT64_MIN,
      // anything beyond a double.
      if (fits && !negative) return Json(magnitude);
      constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
      if (fits && magnitude < kMinMagnitude) return Json(-static_cast<int64_t>(magnitude));
      if (fits && magnitude == kMinMagnitude) return Json(INT64_MIN);
    }
    const std::string literal(start, p_);
    const double d = std::strtod(literal.c_str(), nullptr);
    // Beyond a double: cpprest would keep infinity, and write it back as "inf", which no
    // parser reads.
    if (std::isinf(d)) fail("number out of range");
    return Json(d);
  }

  const char* const begin_;
  const char* p_;
  const char* const end_;
};

}  // namespace

const JsonPrune::Node* JsonPrune::Node::child(std::string_view key) const {
  const Node* any = nullptr;
  for (const auto& [name, node] : children) {
    if (name == key) return node.get();
    if (name == "*") any = node.get();
  }
  return any;
}

JsonPrune::JsonPrune(std::initializer_list<std::string_view> paths) {
  for (auto path : paths) add(path);
}

JsonPrune::JsonPrune(const std::vector<std::string>& paths, std::string_view prefix) {
  for (const auto& path : paths) add(prefix.empty() ? path : std::string(prefix) + "." + path);
}

void JsonPrune::add(std::string_view path) {
  Node* node = &root_;
  for (;;) {
    const auto dot = path.find('.');
    const auto part = path.substr(0, dot);
    Node* next = nullptr;
    for (auto& [name, child] : node->children) {
      if (name == part) next = child.get();
    }
    if (!next) {
      node->children.emplace_back(std::string(part), std::make_unique<Node>());
      next = node->children.back().second.get();
    }
    node = next;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  node->drop = true;
}

web::json::value parseJson(std::string_view text, const JsonPrune* prune) {
  return Parser(text).document(prune ? prune->root() : nullptr);
}

}  // namespace mlmodel::core
