#include "server/tls_source.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

namespace mlmodel::server {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 and later; the server offers no ALPN, so clients speak HTTP/1.1.
core::Result<std::shared_ptr<ssl::context>> makeContext(const std::string& certPem,
                                                        const std::string& keyPem) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    ctx->use_certificate_chain(boost::asio::buffer(certPem));
    ctx->use_private_key(boost::asio::buffer(keyPem), ssl::context::pem);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return core::Error{"the private key does not match the certificate"};
    }
    return ctx;
  } catch (const std::exception& e) {
    return core::Error{e.what()};
  }
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

class FixedTls final : public TlsSource {
 public:
  FixedTls(std::shared_ptr<ssl::context> ctx, std::string certPem)
      : ctx_(std::move(ctx)), certPem_(std::move(certPem)) {}
  std::shared_ptr<ssl::context> context() override { return ctx_; }
  std::string certificatePem() override { return certPem_; }

 private:
  std::shared_ptr<ssl::context> ctx_;
  std::string certPem_;
};

core::Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error{"cannot read " + path};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class FileTls final : public TlsSource {
 public:
  FileTls(std::string certFile, std::string keyFile, std::chrono::milliseconds recheck,
          const core::Clock& clock)
      : certFile_(std::move(certFile)),
        keyFile_(std::move(keyFile)),
        recheck_(recheck),
        clock_(clock) {}

  core::Status load() {
    auto stamp = stamps();
    auto cert = readFile(certFile_);
    if (!cert) return cert.error();
    auto key = readFile(keyFile_);
    if (!key) return key.error();
    auto ctx = makeContext(cert.value(), key.value());
    if (!ctx) return core::Error{certFile_ + " and " + keyFile_ + ": " + ctx.error().message};
    ctx_ = std::move(ctx.value());
    certPem_ = std::move(cert.value());
    stamp_ = stamp;
    return core::Ok{};
  }

  std::shared_ptr<ssl::context> context() override {
    std::lock_guard lock(mu_);
    maybeReload();
    return ctx_;
  }
  std::string certificatePem() override {
    std::lock_guard lock(mu_);
    maybeReload();
    return certPem_;
  }

 private:
  using Stamp = std::pair<std::filesystem::file_time_type, std::filesystem::file_time_type>;

  Stamp stamps() const {
    std::error_code ec;
    return {std::filesystem::last_write_time(certFile_, ec),
            std::filesystem::last_write_time(keyFile_, ec)};
  }

  void maybeReload() {
    const auto now = clock_.steadyNow();
    if (now < nextCheck_) return;
    nextCheck_ = now + recheck_;
    if (stamps() == stamp_) return;
    if (auto s = load(); !s) {
      spdlog::warn("metrics certificate not reloaded, the previous one stays: {}",
                   s.error().message);
    } else {
      spdlog::info("metrics certificate reloaded from {}", certFile_);
    }
  }

  const std::string certFile_;
  const std::string keyFile_;
  const std::chrono::milliseconds recheck_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::shared_ptr<ssl::context> ctx_;
  std::string certPem_;
  Stamp stamp_;
  core::SteadyTime nextCheck_{};
};

}  // namespace

core::Result<std::shared_ptr<TlsSource>> selfSignedTls(const std::vector<std::string>& dnsNames) {
  // OpenSSL's C objects, freed on every path.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return core::Error{"generating a key failed"};
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return core::Error{"allocating a certificate failed"};
  X509_set_version(cert.get(), 2);  // v3, for the extensions
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return core::Error{"no random serial"};
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate a little clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mlmodel-operator-metrics"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "IP:127.0.0.1";
  for (const auto& n : dnsNames) san += ",DNS:" + n;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, san},
        std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
        std::pair{NID_ext_key_usage, std::string("serverAuth")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (!ext) return core::Error{"certificate extension " + value + " refused"};
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return core::Error{"signing failed"};

  std::unique_ptr<BIO, decltype(&BIO_free)> certBio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_X509(certBio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return core::Error{"writing the certificate failed"};
  }
  const std::string certPem = bioString(certBio.get());
  auto ctx = makeContext(certPem, bioString(keyBio.get()));
  if (!ctx) return ctx.error();
  return std::shared_ptr<TlsSource>(std::make_shared<FixedTls>(std::move(ctx.value()), certPem));
}

core::Result<std::shared_ptr<TlsSource>> fileTls(const std::string& certFile,
                                                 const std::string& keyFile,
                                                 std::chrono::milliseconds recheck,
                                                 const core::Clock& clock) {
  auto source = std::make_shared<FileTls>(certFile, keyFile, recheck, clock);
  if (auto s = source->load(); !s) return s.error();
  return std::shared_ptr<TlsSource>(std::move(source));
}

}  // namespace mlmodel::server
