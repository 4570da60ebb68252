#include "kube/api_warnings.h"

#include <spdlog/spdlog.h>

#include <cctype>

namespace mlmodel::kube {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  void skip(bool commas) {
    while (!done() && (isSpace(s_[i_]) || (commas && s_[i_] == ','))) ++i_;
  }
  // A run of characters up to a space or a comma.
  std::string_view token() {
    const std::size_t start = i_;
    while (!done() && !isSpace(s_[i_]) && s_[i_] != ',') ++i_;
    return s_.substr(start, i_ - start);
  }
  // A quoted-string, unescaped; false when it is not one or never ends.
  bool quoted(std::string& out) {
    if (done() || s_[i_] != '"') return false;
    for (++i_; !done(); ++i_) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        out.push_back(s_[i_]);
      } else {
        out.push_back(c);
      }
    }
    return false;
  }
  bool at(char c) const { return !done() && s_[i_] == c; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<std::string> parseWarnings(std::string_view header) {
  std::vector<std::string> out;
  Reader r(header);
  for (;;) {
    r.skip(true);
    if (r.done()) return out;
    const std::string_view code = r.token();
    if (code.size() != 3 || !std::isdigit(static_cast<unsigned char>(code[0])) ||
        !std::isdigit(static_cast<unsigned char>(code[1])) ||
        !std::isdigit(static_cast<unsigned char>(code[2]))) {
      return out;
    }
    r.skip(false);
    if (r.token().empty()) return out;  // the agent, "-" from the API server
    r.skip(false);
    std::string text;
    if (!r.quoted(text)) return out;
    r.skip(false);
    if (r.at('"')) {  // an optional warn-date
      std::string date;
      if (!r.quoted(date)) return out;
      r.skip(false);
    }
    if (!r.done() && !r.at(',')) return out;
    if (code == "299" && !text.empty()) out.push_back(std::move(text));
  }
}

bool WarningLog::log(const std::string& what, const std::string& text) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seen_.contains(text)) return false;
    if (seen_.size() < capacity_) seen_.insert(text);
  }
  spdlog::warn("the API server warned about {}: {}", what, text);
  return true;
}

}  // namespace mlmodel::kube
