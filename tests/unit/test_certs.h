#pragma once

// Certificates made at test time with OpenSSL's API: a CA and leaves it signs, in PEM.
//   auto ca = testutil::makeCertificate("test-ca", {}, nullptr);
//   auto server = testutil::makeCertificate("server", {"DNS:localhost"}, &ca);
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlmodel::testutil {

struct Certificate {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
  std::string keyPem;
  std::string certPem;
};

namespace detail {
inline std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}
inline void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}
}  // namespace detail

// `sans` such as "DNS:localhost", "IP:127.0.0.1"; `issuer` null: a self-signed CA.
inline Certificate makeCertificate(const std::string& commonName,
                                   const std::vector<std::string>& sans,
                                   const Certificate* issuer) {
  static long serial = 1;
  Certificate out;
  out.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  out.cert.reset(X509_new(), X509_free);
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, out.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509* issuerCert = issuer ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuerCert));
  detail::addExtension(x, issuerCert, NID_basic_constraints,
                       issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
  if (!issuer) detail::addExtension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  std::string san;
  for (const auto& s : sans) san += (san.empty() ? "" : ",") + s;
  if (!san.empty()) detail::addExtension(x, issuerCert, NID_subject_alt_name, san);
  X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());

  BIO* certBio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(certBio, x);
  out.certPem = detail::bioString(certBio);
  BIO* keyBio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(keyBio, out.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.keyPem = detail::bioString(keyBio);
  return out;
}

}  // namespace mlmodel::testutil
