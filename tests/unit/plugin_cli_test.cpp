// The command line of `kubectl mlmodel` as a user meets it: what goes to stdout and to
// stderr, and the exit code, for help, version and mistakes.
#include <cpprest/json.h>
#include <gtest/gtest.h>

#include "plugin/command_line.h"
#include "plugin/commands.h"
#include "plugin/version.h"

namespace mlmodel::plugin {
namespace {

CommandLine parse(const std::vector<std::string>& args) { return parseCommandLine(args); }

std::vector<std::string> words(const std::string& path) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= path.size() && !path.empty();) {
    const size_t end = std::min(path.find(' ', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The table the loops below walk: if a command went missing, they would prove nothing.
TEST(PluginCli, KnowsEveryCommand) {
  std::vector<std::string> paths;
  for (const auto& c : commands()) paths.push_back(c.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"", "abort", "diff", "help", "history", "pause",
                                             "promote", "resume", "retry", "rollback", "set",
                                             "set image", "status", "version", "wait"}));
}

void expectHelp(const CommandLine& r, const CommandSpec& c, const std::string& how) {
  SCOPED_TRACE(how);
  EXPECT_FALSE(r.invocation);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.err, "");
  const std::string path = c.path.empty() ? "kubectl mlmodel" : "kubectl mlmodel " + c.path;
  EXPECT_EQ(r.out.rfind(c.description + "\n\nUsage:\n  " + path + " ", 0), 0u) << r.out;
  const auto flags = r.out.find("\nFlags:\n");
  EXPECT_NE(flags, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  -h, --help ", flags), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  -n, --namespace string "), std::string::npos) << r.out;
}

TEST(PluginCli, HelpForEveryCommandGoesToStdoutWithExit0) {
  for (const auto& c : commands()) {
    const auto path = words(c.path);
    const auto byFlag = parse(with(path, {"--help"}));
    expectHelp(byFlag, c, c.path + " --help");
    expectHelp(parse(with(path, {"-h"})), c, c.path + " -h");
    expectHelp(parse(with({"help"}, path)), c, "help " + c.path);
    EXPECT_EQ(parse(with({"help"}, path)).out, byFlag.out);
    EXPECT_EQ(parse(with(path, {"-h"})).out, byFlag.out);
  }
}

TEST(PluginCli, HelpFlagWorksAnywhereAndAfterArguments) {
  const auto wait = parse({"wait", "--help"}).out;
  EXPECT_EQ(parse({"wait", "pm", "--timeout", "1m", "--help"}).out, wait);
  EXPECT_EQ(parse({"-n", "ns", "wait", "-h"}).out, wait);
  EXPECT_EQ(parse({"wait", "--help=true"}).out, wait);
}

TEST(PluginCli, NoCommandShowsTheRootHelp) {
  const auto r = parse({});
  expectHelp(r, *findCommand(""), "no arguments");
  EXPECT_EQ(parse({"--help"}).out, r.out);
  EXPECT_EQ(parse({"help"}).out, r.out);
  expectHelp(parse({"set"}), *findCommand("set"), "set alone");
}

TEST(PluginCli, RootHelpListsEveryCommandAsCobraDoes) {
  const std::string out = parse({"--help"}).out;
  EXPECT_NE(out.find("Usage:\n  kubectl mlmodel [command]\n\nAvailable Commands:\n"
                     "  abort       Roll the running canary back\n"
                     "  diff        Show what changed between two revisions of the history\n"
                     "  help        Help about any command\n"),
            std::string::npos)
      << out;
  for (const char* name : {"history", "pause", "promote", "resume", "retry", "rollback", "set",
                           "status", "version", "wait"}) {
    EXPECT_NE(out.find(std::string("\n  ") + name + " "), std::string::npos) << name;
  }
  EXPECT_EQ(out.find("  image "), std::string::npos) << "set's subcommand is not the root's";
  EXPECT_NE(
      out.find("Flags:\n      --context string      The name of the kubeconfig context to use\n"
               "  -h, --help                help for kubectl mlmodel\n"),
      std::string::npos)
      << out;
  EXPECT_EQ(out.find("Global Flags:"), std::string::npos) << "the root's flags are its own";
  EXPECT_TRUE(out.ends_with(
      "\nUse \"kubectl mlmodel <command> --help\" for more information about a command.\n"))
      << out;
}

TEST(PluginCli, CommandHelpShowsItsFlagsAndTheGlobalOnes) {
  const std::string out = parse({"set", "image", "--help"}).out;
  EXPECT_NE(out.find("Usage:\n  kubectl mlmodel set image NAME IMAGE [flags]\n\nExamples:\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Flags:\n  -h, --help               help for image\n"
                     "      --timeout duration   How long to wait"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("      --wait               Wait for the rollout as"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Global Flags:\n      --context string"), std::string::npos) << out;
  EXPECT_NE(parse({"help", "set"}).out.find("Available Commands:\n  image  "), std::string::npos);
}

void expectUsageError(const CommandLine& r, const std::string& error, const std::string& usage,
                      const std::string& how) {
  SCOPED_TRACE(how);
  EXPECT_FALSE(r.invocation);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: " + error + "\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nUsage:\n  " + usage + "\n"), std::string::npos) << r.err;
}

TEST(PluginCli, UnknownCommandIsAnErrorWithTheUsage) {
  expectUsageError(parse({"foo"}), "unknown command \"foo\" for \"kubectl mlmodel\"",
                   "kubectl mlmodel [command]", "foo");
  EXPECT_NE(parse({"foo"}).err.find("Available Commands:"), std::string::npos);
  EXPECT_EQ(parse({"foo"}).err.find("Did you mean"), std::string::npos);
  expectUsageError(parse({"set", "imgae", "pm", "x"}),
                   "unknown command \"imgae\" for \"kubectl mlmodel set\"",
                   "kubectl mlmodel set [command]", "set imgae");
  expectUsageError(parse({"help", "foo"}), "unknown command \"foo\" for \"kubectl mlmodel\"",
                   "kubectl mlmodel [command]", "help foo");
  expectUsageError(parse({"foo", "--help"}), "unknown command \"foo\" for \"kubectl mlmodel\"",
                   "kubectl mlmodel [command]", "foo --help");
}

TEST(PluginCli, UnknownCommandSuggestsTheNearOnes) {
  EXPECT_EQ(parse({"stauts", "pm"})
                .err.rfind("error: unknown command \"stauts\" for \"kubectl mlmodel\"\n\n"
                           "Did you mean this?\n\tstatus\n\nUsage:\n",
                           0),
            0u)
      << parse({"stauts"}).err;
  EXPECT_NE(parse({"re"}).err.find("Did you mean this?\n\tresume\n\tretry\n"), std::string::npos)
      << parse({"re"}).err;
}

TEST(PluginCli, UnknownFlagIsAnErrorWithTheCommandsUsage) {
  expectUsageError(parse({"status", "pm", "--bogus"}), "unknown flag: --bogus",
                   "kubectl mlmodel status NAME [flags]", "--bogus");
  expectUsageError(parse({"status", "pm", "--bogus=1"}), "unknown flag: --bogus",
                   "kubectl mlmodel status NAME [flags]", "--bogus=1");
  expectUsageError(parse({"status", "pm", "-x"}), "unknown shorthand flag: 'x' in -x",
                   "kubectl mlmodel status NAME [flags]", "-x");
  // A flag of another command is unknown here.
  expectUsageError(parse({"status", "pm", "--wait"}), "unknown flag: --wait",
                   "kubectl mlmodel status NAME [flags]", "status --wait");
  expectUsageError(parse({"wait", "pm", "-o", "json"}), "unknown shorthand flag: 'o' in -o",
                   "kubectl mlmodel wait NAME [flags]", "wait -o");
  // An error wins over --help, as in cobra: the user learns what was wrong.
  expectUsageError(parse({"status", "--bogus", "--help"}), "unknown flag: --bogus",
                   "kubectl mlmodel status NAME [flags]", "--bogus --help");
}

TEST(PluginCli, MissingOrBadArgumentsAreErrorsWithTheUsage) {
  expectUsageError(parse({"status"}), "missing NAME", "kubectl mlmodel status NAME [flags]",
                   "status");
  expectUsageError(parse({"set", "image", "pm"}), "missing IMAGE",
                   "kubectl mlmodel set image NAME IMAGE [flags]", "set image pm");
  expectUsageError(parse({"set", "image"}), "missing NAME and IMAGE",
                   "kubectl mlmodel set image NAME IMAGE [flags]", "set image");
  expectUsageError(parse({"status", "a", "b"}), "unexpected argument \"b\"",
                   "kubectl mlmodel status NAME [flags]", "status a b");
  expectUsageError(parse({"version", "x"}), "unexpected argument \"x\"",
                   "kubectl mlmodel version [flags]", "version x");
  expectUsageError(parse({"rollback", "pm"}), "required flag \"--to-revision\" not set",
                   "kubectl mlmodel rollback NAME --to-revision N [flags]", "rollback");
  expectUsageError(parse({"rollback", "pm", "--to-revision", "0"}),
                   "invalid argument \"0\" for \"--to-revision\" flag: a revision of history (1 or "
                   "more)",
                   "kubectl mlmodel rollback NAME --to-revision N [flags]", "revision 0");
  expectUsageError(
      parse({"rollback", "pm", "--to-revision=2x"}),
      "invalid argument \"2x\" for \"--to-revision\" flag: a revision of history (1 or "
      "more)",
      "kubectl mlmodel rollback NAME --to-revision N [flags]", "revision 2x");
  expectUsageError(parse({"wait", "pm", "--timeout"}), "flag needs an argument: --timeout",
                   "kubectl mlmodel wait NAME [flags]", "--timeout");
  expectUsageError(parse({"wait", "pm", "--timeout", "soon"}),
                   "invalid argument \"soon\" for \"--timeout\" flag: a duration such as 90s, 10m "
                   "or 1h30m",
                   "kubectl mlmodel wait NAME [flags]", "--timeout soon");
  expectUsageError(parse({"version", "-o", "xml"}),
                   "invalid argument \"xml\" for \"-o\" flag: one of json, yaml",
                   "kubectl mlmodel version [flags]", "-o xml");
  expectUsageError(parse({"status", "pm", "-n"}), "flag needs an argument: -n",
                   "kubectl mlmodel status NAME [flags]", "-n");
}

TEST(PluginCli, ParsesWhatACommandRunsWith) {
  const auto r = parse({"-n", "ml", "set", "image", "pm", "reg/pm:2", "--wait", "--timeout=90s",
                        "--kubeconfig", "/k", "--context=c"});
  ASSERT_TRUE(r.invocation) << r.err;
  EXPECT_EQ(r.invocation->command, "set image");
  EXPECT_EQ(r.invocation->name, "pm");
  EXPECT_EQ(r.invocation->image, "reg/pm:2");
  EXPECT_EQ(r.invocation->ns, "ml");
  EXPECT_EQ(r.invocation->kubeconfig, "/k");
  EXPECT_EQ(r.invocation->context, "c");
  EXPECT_TRUE(r.invocation->wait);
  EXPECT_EQ(r.invocation->timeout, std::chrono::seconds(90));
  EXPECT_EQ(r.out + r.err, "");

  const auto w = parse({"wait", "pm", "--namespace=ml"});
  ASSERT_TRUE(w.invocation) << w.err;
  EXPECT_EQ(w.invocation->ns, "ml");
  EXPECT_EQ(w.invocation->timeout, std::chrono::minutes(10));
  EXPECT_EQ(parse({"status", "pm", "-n=ml"}).invocation->ns, "ml");
  EXPECT_EQ(parse({"status", "pm", "-nml"}).invocation->ns, "ml");
  EXPECT_EQ(parse({"rollback", "pm", "--to-revision", "3"}).invocation->revision, 3);
  EXPECT_EQ(parse({"version", "--output", "json"}).invocation->output, "json");
  EXPECT_EQ(parse({"version", "-o", "yaml"}).invocation->output, "yaml");
  // After "--" nothing is a flag: a model may be named like one.
  EXPECT_EQ(parse({"status", "--", "-odd"}).invocation->name, "-odd");
}

TEST(PluginVersion, TextJsonAndYaml) {
  const BuildInfo b{"0.1.0", "0123456789ab"};
  EXPECT_EQ(versionText(b, ""), "kubectl mlmodel version 0.1.0 (commit 0123456789ab)\n");
  EXPECT_EQ(versionText({"0.1.0", ""}, ""), "kubectl mlmodel version 0.1.0\n");
  const auto j = web::json::value::parse(versionText(b, "json"));
  EXPECT_EQ(j.at("version").as_string(), "0.1.0");
  EXPECT_EQ(j.at("gitCommit").as_string(), "0123456789ab");
  EXPECT_EQ(versionText(b, "yaml"), "version: \"0.1.0\"\ngitCommit: \"0123456789ab\"\n");
}

TEST(PluginCli, DiffTakesTwoRevisionNumbers) {
  const auto r = parse({"diff", "fraud", "2", "3", "-n", "ml"});
  ASSERT_TRUE(r.invocation) << r.err;
  EXPECT_EQ(r.invocation->command, "diff");
  EXPECT_EQ(r.invocation->name, "fraud");
  EXPECT_EQ(r.invocation->revision, 2);
  EXPECT_EQ(r.invocation->revisionTo, 3);
  const auto bad = parse({"diff", "fraud", "2", "latest"});
  EXPECT_FALSE(bad.invocation);
  EXPECT_EQ(bad.exitCode, kExitUsage);
  EXPECT_NE(bad.err.find("invalid revision \"latest\""), std::string::npos) << bad.err;
  EXPECT_NE(parse({"diff", "fraud", "2"}).err.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace mlmodel::plugin
