#include "plugin/commands.h"

#include <algorithm>
#include <sstream>

namespace mlmodel::plugin {
namespace {

const std::string kRoot = "kubectl mlmodel";

std::string commandPath(const CommandSpec& c) {
  return c.path.empty() ? kRoot : kRoot + " " + c.path;
}

// Flag lines as pflag prints them: "  -n, --namespace string", the usage aligned three
// spaces after the longest of those; flags sorted by name.
std::string flagLines(std::vector<FlagSpec> fs) {
  std::sort(fs.begin(), fs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::string> lefts;
  size_t width = 0;
  for (const auto& f : fs) {
    std::string l =
        f.shorthand ? std::string("  -") + f.shorthand + ", --" + f.name : "      --" + f.name;
    if (!f.valueType.empty()) l += " " + f.valueType;
    width = std::max(width, l.size());
    lefts.push_back(l);
  }
  std::string out;
  for (size_t i = 0; i < fs.size(); ++i) {
    out += lefts[i] + std::string(width - lefts[i].size() + 3, ' ') + fs[i].usage + "\n";
  }
  return out;
}

FlagSpec helpFlag(const CommandSpec& c) {
  return {'h', "help", "", "help for " + (c.path.empty() ? kRoot : commandName(c))};
}

}  // namespace

const std::vector<FlagSpec>& flags() {
  static const std::vector<FlagSpec> all = {
      {'n', "namespace", "string", "If present, the namespace scope for this CLI request"},
      {'\0', "kubeconfig", "string", "Path to the kubeconfig file to use for CLI requests"},
      {'\0', "context", "string", "The name of the kubeconfig context to use"},
      {'h', "help", "", "help"},
      {'\0', "timeout", "duration",
       "How long to wait, such as 90s or 1h30m; then exit 2 (default 10m)"},
      {'\0', "wait", "", "Wait for the rollout as the wait command does, with its exit codes"},
      {'\0', "to-revision", "int", "The revision of the history to go back to (1 is the oldest)"},
      {'o', "output", "string", "One of 'json' or 'yaml'; plain text when not given"},
  };
  return all;
}

const std::vector<std::string>& globalFlags() {
  static const std::vector<std::string> g = {"namespace", "kubeconfig", "context"};
  return g;
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> all = {
      {"",
       "",
       0,
       "",
       "Drive MLModel rollouts: see where a canary stands, promote, abort, retry, pause and\n"
       "resume it, roll back to an earlier version, and wait for a version in a pipeline.",
       "",
       {},
       {}},
      {"abort",
       "NAME",
       1,
       "Roll the running canary back",
       "Roll the running canary back: the stable version keeps (or takes back) all traffic.\n"
       "The canary's version is recorded as Aborted and is not tried again until `retry`.",
       "  kubectl mlmodel abort fraud-detector",
       {},
       {}},
      {"diff",
       "NAME REVISION REVISION",
       3,
       "Show what changed between two revisions of the history",
       "Show the spec fields that differ between two revisions of `history` (image, env,\n"
       "resources, args, ...), from the specs the operator keeps as ControllerRevisions.",
       "  kubectl mlmodel diff fraud-detector 2 3",
       {},
       {}},
      {"help",
       "[command]",
       -1,
       "Help about any command",
       "Help provides help for any command in the plugin.\n"
       "Simply type kubectl mlmodel help [path to command] for full details.",
       "",
       {},
       {}},
      {"history",
       "NAME",
       1,
       "List the finished rollouts, numbered (oldest is 1)",
       "List the finished rollouts of a model, oldest first, numbered from 1: the revisions\n"
       "that `rollback --to-revision` takes.",
       "  kubectl mlmodel history fraud-detector",
       {},
       {}},
      {"pause",
       "NAME",
       1,
       "Hold the rollout (spec.rollout.paused)",
       "Hold the rollout where it is by setting spec.rollout.paused; `resume` continues it.",
       "  kubectl mlmodel pause fraud-detector",
       {},
       {}},
      {"promote",
       "NAME",
       1,
       "Skip the canary's remaining steps and promote it",
       "Skip the running canary's remaining steps and analysis and promote it to stable.",
       "  kubectl mlmodel promote fraud-detector",
       {},
       {}},
      {"resume",
       "NAME",
       1,
       "Continue a paused rollout",
       "Continue a paused rollout by clearing spec.rollout.paused.",
       "  kubectl mlmodel resume fraud-detector",
       {},
       {}},
      {"retry",
       "NAME",
       1,
       "Run a rolled-back or aborted version again",
       "Run the spec's version again after it was rolled back or aborted.",
       "  kubectl mlmodel retry fraud-detector",
       {},
       {}},
      {"rollback",
       "NAME --to-revision N",
       1,
       "Go back to a revision of the history",
       "Go back to revision N of `history`: its whole pod spec (image and version, env,\n"
       "resources, args, ...) is written back to the spec and deployed by digest, without a\n"
       "canary. A model from MLflow is pinned to the revision's MLflow version.",
       "  kubectl mlmodel rollback fraud-detector --to-revision 2",
       {"to-revision"},
       {"to-revision"}},
      {"set", "", 0, "Set a field of an MLModel", "Set a field of an MLModel.", "", {}, {}},
      {"set image",
       "NAME IMAGE",
       2,
       "Set the model's image, optionally waiting for the rollout",
       "Set the model's image; its version follows the new tag. With --wait, wait for the\n"
       "rollout as `wait` does, with the same exit codes.",
       "  kubectl mlmodel set image fraud-detector registry.example:5000/models/fraud:1.2.0 \\\n"
       "    --wait --timeout 15m",
       {"wait", "timeout"},
       {}},
      {"status",
       "NAME",
       1,
       "Show the rollout in words: step, weights, last measured values",
       "Show the rollout in words: the phase, the stable version, the canary's step and\n"
       "weights, the analysis counts and last measured value, and the conditions.",
       "  kubectl mlmodel status fraud-detector",
       {},
       {}},
      {"version",
       "",
       0,
       "Print the plugin's version",
       "Print the version of the plugin and the git commit it was built from.",
       "  kubectl mlmodel version\n  kubectl mlmodel version -o json",
       {"output"},
       {}},
      {"wait",
       "NAME",
       1,
       "Wait until the spec's version is promoted and Ready",
       "Wait until the spec's version is promoted and Ready (exit 0), rolled back or stalled\n"
       "(exit 1, with the reason), or the timeout passes (exit 2). For pipelines.",
       "  kubectl mlmodel wait fraud-detector --timeout 15m",
       {"timeout"},
       {}},
  };
  return all;
}

const CommandSpec* findCommand(const std::string& path) {
  for (const auto& c : commands()) {
    if (c.path == path) return &c;
  }
  return nullptr;
}

const FlagSpec* findFlag(const std::string& name) {
  for (const auto& f : flags()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FlagSpec* findShorthand(char shorthand) {
  for (const auto& f : flags()) {
    if (f.shorthand == shorthand) return &f;
  }
  return nullptr;
}

std::vector<const CommandSpec*> subcommands(const CommandSpec& group) {
  std::vector<const CommandSpec*> out;
  const std::string prefix = group.path.empty() ? "" : group.path + " ";
  for (const auto& sub : commands()) {
    if (sub.path.empty() || &sub == &group || sub.path.rfind(prefix, 0) != 0) continue;
    if (sub.path.find(' ', prefix.size()) == std::string::npos) out.push_back(&sub);
  }
  return out;
}

std::string commandName(const CommandSpec& cmd) { return cmd.path.substr(cmd.path.rfind(' ') + 1); }

std::string usageText(const CommandSpec& c) {
  const auto subs = subcommands(c);
  std::ostringstream out;
  out << "Usage:\n";
  if (!subs.empty()) {
    out << "  " << commandPath(c) << " [command]\n";
  } else {
    out << "  " << commandPath(c) << (c.args.empty() ? "" : " " + c.args) << " [flags]\n";
  }
  if (!c.examples.empty()) out << "\nExamples:\n" << c.examples << "\n";
  if (!subs.empty()) {
    out << "\nAvailable Commands:\n";
    size_t width = 11;  // cobra's minimum name padding
    for (const auto* s : subs) width = std::max(width, commandName(*s).size());
    for (const auto* s : subs) {
      const std::string name = commandName(*s);
      out << "  " << name << std::string(width - name.size() + 1, ' ') << s->summary << "\n";
    }
  }
  std::vector<FlagSpec> local = {helpFlag(c)};
  for (const auto& n : c.flags) local.push_back(*findFlag(n));
  std::vector<FlagSpec> global;
  for (const auto& n : globalFlags()) (c.path.empty() ? local : global).push_back(*findFlag(n));
  out << "\nFlags:\n" << flagLines(local);
  if (!global.empty()) out << "\nGlobal Flags:\n" << flagLines(global);
  if (!subs.empty()) {
    out << "\nUse \"" << commandPath(c)
        << " <command> --help\" for more information about a command.\n";
  }
  return out.str();
}

std::string helpText(const CommandSpec& c) { return c.description + "\n\n" + usageText(c); }

}  // namespace mlmodel::plugin
