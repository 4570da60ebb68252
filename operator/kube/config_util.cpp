#include "kube/config_util.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/time_format.h"

namespace mlmodel::kube::detail {

core::Result<std::string> readFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::Error{path + ": " + std::strerror(errno)};
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return core::Error{path + ": " + std::strerror(err)};
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

namespace {
// Reads exactly `width` digits at `pos`.
bool readDigits(std::string_view s, size_t& pos, int width, int& out) {
  if (pos + static_cast<size_t>(width) > s.size()) return false;
  out = 0;
  for (int i = 0; i < width; ++i) {
    const char c = s[pos++];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}
bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || (s[pos] != c && s[pos] != std::tolower(c))) return false;
  ++pos;
  return true;
}
}  // namespace

core::Result<core::WallTime> parseRfc3339(std::string_view s) {
  using namespace std::chrono;
  const core::Error bad{"invalid RFC 3339 timestamp \"" + std::string(s) + "\""};
  size_t p = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!readDigits(s, p, 4, y) || !expect(s, p, '-') || !readDigits(s, p, 2, mo) ||
      !expect(s, p, '-') || !readDigits(s, p, 2, d) || !expect(s, p, 'T') ||
      !readDigits(s, p, 2, h) || !expect(s, p, ':') || !readDigits(s, p, 2, mi) ||
      !expect(s, p, ':') || !readDigits(s, p, 2, sec)) {
    return bad;
  }
  nanoseconds frac{0};
  if (p < s.size() && s[p] == '.') {
    ++p;
    int64_t scale = 100000000;
    const size_t start = p;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
      frac += nanoseconds((s[p] - '0') * scale);
      scale /= 10;
    }
    if (p == start) return bad;
  }
  minutes offset{0};
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const int sign = s[p++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!readDigits(s, p, 2, oh) || !expect(s, p, ':') || !readDigits(s, p, 2, om)) return bad;
    offset = minutes(sign * (oh * 60 + om));
  } else {
    return bad;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (p != s.size() || !ymd.ok() || y < core::kMinWallTimeYear || y > core::kMaxWallTimeYear ||
      h > 23 || mi > 59 || sec > 60) {
    return bad;
  }
  const auto t =
      sys_days(ymd) + hours(h) + minutes(mi) + seconds(std::min(sec, 59)) + frac - offset;
  return time_point_cast<core::WallTime::duration>(t);
}

std::string joinHostPort(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return "[" + host + "]:" + port;
  }
  return host + ":" + port;
}

std::string trimSpace(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string dirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolvePath(const std::string& path, const std::string& baseDir) {
  if (path.empty() || path.front() == '/') return path;
  return baseDir + "/" + path;
}

namespace {
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

BioPtr memBio(const std::string& s) {
  return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}
// Never prompt on a terminal for a passphrase: encrypted keys are simply unsupported.
int noPassphrase(char*, int, int, void*) { return 0; }
}  // namespace

core::Status checkPemCertificates(const std::string& pem) {
  BioPtr bio = memBio(pem);
  X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  ERR_clear_error();
  if (!first) return core::Error{"no PEM certificate found"};
  return core::Ok{};
}

core::Status checkPemKeyPair(const std::string& certPem, const std::string& keyPem) {
  BioPtr certBio = memBio(certPem);
  X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, noPassphrase, nullptr));
  BioPtr keyBio = memBio(keyPem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr));
  ERR_clear_error();
  if (!cert) return core::Error{"client certificate: no PEM certificate found"};
  if (!key) return core::Error{"client key: no unencrypted PEM private key found"};
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return core::Error{"client key does not match the client certificate"};
  }
  return core::Ok{};
}

}  // namespace mlmodel::kube::detail
