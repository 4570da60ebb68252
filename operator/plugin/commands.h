#pragma once

#include <string>
#include <vector>

namespace mlmodel::plugin {

// The commands and flags of `kubectl mlmodel`, and their help as cobra (kubectl, helm, every
// Go CLI) lays it out, so that the plugin reads like the kubectl around it.

struct FlagSpec {
  char shorthand;         // '\0' for none
  std::string name;       // without the dashes
  std::string valueType;  // "" for a boolean flag, else what `--help` names the value
  std::string usage;
};

struct CommandSpec {
  std::string path;                   // "status", "set image"; "" is the root, "set" a group
  std::string args;                   // the positional arguments, "NAME IMAGE"
  int argCount;                       // how many positionals it takes (after its path)
  std::string summary;                // its line under "Available Commands:"
  std::string description;            // the first paragraph of its help
  std::string examples;               // lines of "Examples:", "" for none
  std::vector<std::string> flags;     // its own flags (names), beside the global ones
  std::vector<std::string> required;  // of those, the ones it cannot run without
};

// Every command, the root and groups included, in help order (alphabetical, like cobra).
const std::vector<CommandSpec>& commands();
// Every flag any command takes; the global ones are named by globalFlags().
const std::vector<FlagSpec>& flags();
const std::vector<std::string>& globalFlags();

const CommandSpec* findCommand(const std::string& path);
// The commands one level below a group (or the root); none for a command that runs.
std::vector<const CommandSpec*> subcommands(const CommandSpec& group);
// The last word of its path: "image" for "set image".
std::string commandName(const CommandSpec& cmd);
const FlagSpec* findFlag(const std::string& name);
const FlagSpec* findShorthand(char shorthand);

// "Usage:" through the closing hint: what a usage error prints after its message.
std::string usageText(const CommandSpec& cmd);
// The description and then the usage: what `--help` prints.
std::string helpText(const CommandSpec& cmd);

}  // namespace mlmodel::plugin
