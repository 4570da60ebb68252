#include "kube/exec_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "kube/config_util.h"

namespace mlmodel::kube {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() { closeBoth(); }
  void closeEnd(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void closeBoth() {
    closeEnd(0);
    closeEnd(1);
  }
};

std::vector<char*> cStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// RAII for the spawn attribute objects, so every early return cleans up.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// Drains both pipes until EOF on each or the deadline. Returns false on timeout.
bool drain(int outFd, int errFd, std::chrono::steady_clock::time_point deadline, ProcessResult& r) {
  pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // poll ignores negative fds
        --open;
        continue;
      }
      if (sinks[i]->size() < kMaxProcessOutput) sinks[i]->append(buf, static_cast<size_t>(got));
    }
  }
  return true;
}

// The executable `name` names: itself when it contains a slash, else the first match in
// $PATH. Resolved here rather than by posix_spawnp so that a missing command is always an
// error, never an exit status 127 that some spawn implementations report instead.
core::Result<std::string> findExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return core::Error{name + ": " + std::strerror(errno)};
    return name;
  }
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read-only use
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  for (;;) {
    const size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return core::Error{name + ": executable file not found in $PATH"};
}

}  // namespace

core::Result<ProcessResult> runProcess(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return core::Error{"no command to run"};
  auto exe = findExecutable(spec.argv[0]);
  if (!exe) return exe.error();
  Pipe out, err;
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return core::Error{std::string("creating pipes: ") + std::strerror(errno)};
  }
  SpawnSetup s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&s.actions, err.fd[1], 2);
  // The operator may block or ignore signals (SIGPIPE, the ones a signal thread waits
  // for); the plugin must start with the defaults. Its own process group lets a timeout
  // kill whatever it started too.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  auto argv = cStrings(spec.argv);
  auto envp = cStrings(spec.env);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe->c_str(), &s.actions, &s.attr, argv.data(), envp.data());
  if (rc != 0) return core::Error{spec.argv[0] + ": " + std::strerror(rc)};
  out.closeEnd(1);
  err.closeEnd(1);

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  if (!drain(out.fd[0], err.fd[0], deadline, result)) {
    result.timedOut = true;
    ::kill(-pid, SIGKILL);
  }
  int status = 0;
  // Closing stdout is not exiting: give a lingering process until the deadline.
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, result.timedOut ? 0 : WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (w == 0 && std::chrono::steady_clock::now() >= deadline) {
      result.timedOut = true;
      ::kill(-pid, SIGKILL);
    } else if (w == 0) {
      ::usleep(2000);
    }
  }
  if (WIFEXITED(status)) {
    result.exitCode = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exitCode = 128 + WTERMSIG(status);
  }
  return result;
}

std::string tailOf(const std::string& text, size_t maxBytes) {
  std::string t = detail::trimSpace(text);
  if (t.size() <= maxBytes) return t;
  size_t start = t.size() - maxBytes;
  const size_t nl = t.find('\n', start);
  if (nl != std::string::npos && nl + 1 < t.size()) start = nl + 1;
  return "..." + t.substr(start);
}

}  // namespace mlmodel::kube
