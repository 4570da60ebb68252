#include "plugin/command_line.h"

#include <algorithm>
#include <charconv>

#include "api/rollout.h"
#include "plugin/commands.h"

namespace mlmodel::plugin {
namespace {

struct FlagUse {
  const FlagSpec* spec;
  std::string typed;  // as the user wrote it, for messages: "--wait", "-n"
  std::string value;  // "true"/"false" for a boolean flag
};

// The arguments split into positionals and flags; `error` is the first malformed flag.
struct Scan {
  std::vector<std::string> positionals;
  std::vector<FlagUse> flags;
  std::string error;
};

Scan scan(const std::vector<std::string>& args) {
  Scan s;
  auto fail = [&s](std::string e) {
    if (s.error.empty()) s.error = std::move(e);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      s.positionals.insert(s.positionals.end(), args.begin() + static_cast<long>(i) + 1,
                           args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      s.positionals.push_back(a);
      continue;
    }
    const FlagSpec* f = nullptr;
    std::string typed, value;
    bool inline_value = false;
    if (a[1] == '-') {
      const auto eq = a.find('=');
      typed = a.substr(0, eq);
      f = findFlag(typed.substr(2));
      if (!f) {
        fail("unknown flag: " + typed);
        continue;
      }
      inline_value = eq != std::string::npos;
      if (inline_value) value = a.substr(eq + 1);
    } else {
      typed = a.substr(0, 2);
      f = findShorthand(a[1]);
      const bool rest_is_value = f && (!f->valueType.empty() || a[2] == '=');
      if (!f || (a.size() > 2 && !rest_is_value)) {
        fail("unknown shorthand flag: '" + std::string(1, a[f ? 2 : 1]) + "' in " + a);
        continue;
      }
      inline_value = a.size() > 2;
      if (inline_value) value = a.substr(a[2] == '=' ? 3 : 2);
    }
    if (f->valueType.empty()) {
      if (inline_value && value != "true" && value != "false") {
        fail("invalid argument \"" + value + "\" for \"" + typed + "\" flag: true or false");
      }
      s.flags.push_back({f, typed, inline_value ? value : "true"});
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        fail("flag needs an argument: " + typed);
        continue;
      }
      value = args[++i];
    }
    s.flags.push_back({f, typed, value});
  }
  return s;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The command the leading positionals name, walking down from the root while the current
// one is a group; `consumed` says how many positionals that took.
struct Resolved {
  const CommandSpec* cmd;
  size_t consumed;
  std::string error;  // an unknown command, with cobra's "Did you mean this?"
};

Resolved resolve(const std::vector<std::string>& pos) {
  const CommandSpec* cur = findCommand("");
  size_t i = 0;
  for (auto subs = subcommands(*cur); !subs.empty() && i < pos.size(); subs = subcommands(*cur)) {
    const auto it = std::find_if(subs.begin(), subs.end(),
                                 [&](const CommandSpec* s) { return commandName(*s) == pos[i]; });
    if (it == subs.end()) {
      std::string e = "unknown command \"" + pos[i] + "\" for \"kubectl mlmodel" +
                      (cur->path.empty() ? "" : " " + cur->path) + "\"";
      std::string hints;
      for (const auto* s : subs) {
        const std::string name = commandName(*s);
        if (editDistance(pos[i], name) <= 2 || (!pos[i].empty() && name.rfind(pos[i], 0) == 0)) {
          hints += "\n\t" + name;
        }
      }
      if (!hints.empty()) e += "\n\nDid you mean this?" + hints;
      return {cur, i, e};
    }
    cur = *it;
    ++i;
  }
  return {cur, i, ""};
}

CommandLine usageError(const CommandSpec& cmd, const std::string& message) {
  CommandLine r;
  r.err = "error: " + message + "\n\n" + usageText(cmd);
  r.exitCode = kExitUsage;
  return r;
}

CommandLine help(const CommandSpec& cmd) {
  CommandLine r;
  r.out = helpText(cmd);
  return r;
}

// The flag values into `inv`; an error message for a value that does not parse.
std::string apply(const FlagUse& f, Invocation& inv) {
  const std::string& n = f.spec->name;
  const std::string bad = "invalid argument \"" + f.value + "\" for \"" + f.typed + "\" flag: ";
  if (n == "namespace") inv.ns = f.value;
  if (n == "kubeconfig") inv.kubeconfig = f.value;
  if (n == "context") inv.context = f.value;
  if (n == "wait") inv.wait = f.value == "true";
  if (n == "timeout") {
    const auto d = api::parseDuration(f.value);
    if (!d) return bad + "a duration such as 90s, 10m or 1h30m";
    inv.timeout = *d;
  }
  if (n == "to-revision") {
    const char* end = f.value.data() + f.value.size();
    const auto [p, ec] = std::from_chars(f.value.data(), end, inv.revision);
    if (ec != std::errc() || p != end || inv.revision < 1)
      return bad + "a revision of history (1 or more)";
  }
  if (n == "output") {
    if (!f.value.empty() && f.value != "json" && f.value != "yaml")
      return bad + "one of json, yaml";
    inv.output = f.value;
  }
  return "";
}

std::string missing(const CommandSpec& cmd, size_t given) {
  std::string words, sep;
  size_t k = 0, start = 0;
  for (size_t end = 0; k < static_cast<size_t>(cmd.argCount); start = end + 1, ++k) {
    end = cmd.args.find(' ', start);
    if (end == std::string::npos) end = cmd.args.size();
    if (k < given) continue;
    words += sep + cmd.args.substr(start, end - start);
    sep = " and ";
  }
  return words;
}

}  // namespace

CommandLine parseCommandLine(const std::vector<std::string>& args) {
  const Scan s = scan(args);
  const Resolved r = resolve(s.positionals);
  const CommandSpec& cmd = *r.cmd;
  if (!r.error.empty()) return usageError(cmd, r.error);
  if (!s.error.empty()) return usageError(cmd, s.error);

  Invocation inv;
  inv.command = cmd.path;
  bool wantsHelp = false;
  for (const auto& f : s.flags) {
    const auto& global = globalFlags();
    const bool allowed =
        f.spec->name == "help" ||
        std::find(global.begin(), global.end(), f.spec->name) != global.end() ||
        std::find(cmd.flags.begin(), cmd.flags.end(), f.spec->name) != cmd.flags.end();
    if (!allowed) {
      return usageError(cmd, f.typed.size() == 2 ? "unknown shorthand flag: '" + f.typed.substr(1) +
                                                       "' in " + f.typed
                                                 : "unknown flag: " + f.typed);
    }
    if (const std::string e = apply(f, inv); !e.empty()) return usageError(cmd, e);
    if (f.spec->name == "help") wantsHelp = f.value == "true";
  }
  // A group (the root, `set`) runs nothing of its own: like kubectl, it shows its help.
  if (wantsHelp || !subcommands(cmd).empty()) return help(cmd);

  const std::vector<std::string> rest(s.positionals.begin() + static_cast<long>(r.consumed),
                                      s.positionals.end());
  if (cmd.path == "help") {
    const Resolved topic = resolve(rest);
    if (!topic.error.empty()) return usageError(*topic.cmd, topic.error);
    return help(*topic.cmd);
  }
  const auto want = static_cast<size_t>(cmd.argCount);
  if (rest.size() > want) return usageError(cmd, "unexpected argument \"" + rest[want] + "\"");
  if (rest.size() < want) return usageError(cmd, "missing " + missing(cmd, rest.size()));
  for (const auto& req : cmd.required) {
    const bool given = std::any_of(s.flags.begin(), s.flags.end(),
                                   [&](const FlagUse& f) { return f.spec->name == req; });
    if (!given) return usageError(cmd, "required flag \"--" + req + "\" not set");
  }
  if (want >= 1) inv.name = rest[0];
  if (cmd.path == "diff") {
    for (auto [text, out] :
         {std::pair{&rest[1], &inv.revision}, std::pair{&rest[2], &inv.revisionTo}}) {
      const bool digits =
          !text->empty() && text->size() < 9 &&
          std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoi(*text) < 1) {
        return usageError(cmd,
                          "invalid revision \"" + *text + "\": a number from `history`, such as 2");
      }
      *out = std::stoi(*text);
    }
  } else if (want >= 2) {
    inv.image = rest[1];
  }
  CommandLine ok;
  ok.invocation = inv;
  return ok;
}

}  // namespace mlmodel::plugin
