// The lab CA: created once and kept, host certificates that real OpenSSL verification
// accepts, re-issued when they stop matching, and the broken certificates TLS faults use.
#include "servers/net/lab_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mailflow::net {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mailflow-ca-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned file_mode(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

// X509_verify_cert against ca_file alone, at the current time, optionally checking a name.
int verify_error(const fs::path& cert_file, const fs::path& ca_file, const std::string& host = {}) {
  auto cert = read_certificate_file(cert_file);
  X509StorePtr store(X509_STORE_new());
  EXPECT_EQ(X509_STORE_load_file(store.get(), ca_file.c_str()), 1);
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_CTX_init(context.get(), store.get(), cert.get(), nullptr), 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (!host.empty()) X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  int ok = X509_verify_cert(context.get());
  int error = X509_STORE_CTX_get_error(context.get());
  EXPECT_EQ(ok == 1, error == X509_V_OK);
  return error;
}

std::vector<std::string> san_of(const fs::path& cert_file) {
  auto cert = read_certificate_file(cert_file);
  std::vector<std::string> names;
  auto* general_names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; general_names && i < sk_GENERAL_NAME_num(general_names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, i);
    int type = 0;
    auto* value = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    const unsigned char* bytes = ASN1_STRING_get0_data(value);
    int length = ASN1_STRING_length(value);
    if (type == GEN_DNS) names.push_back("DNS:" + std::string(reinterpret_cast<const char*>(bytes), length));
    if (type == GEN_IPADD && length == 4) {
      names.push_back("IP:" + std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
                      std::to_string(bytes[2]) + "." + std::to_string(bytes[3]));
    }
  }
  GENERAL_NAMES_free(general_names);
  return names;
}

TEST(LabCa, CreatesTheCaOnceAndReloadsTheSameCertificate) {
  TempDir dir;
  std::string fingerprint = LabCa::load_or_create(dir.path()).ca_fingerprint();
  std::string pem = file_text(dir.path() / "ca.pem");
  auto reloaded = LabCa::load_or_create(dir.path());
  EXPECT_EQ(reloaded.ca_fingerprint(), fingerprint);
  EXPECT_EQ(file_text(dir.path() / "ca.pem"), pem);
  EXPECT_EQ(reloaded.ca_file(), dir.path() / "ca.pem");

  auto ca = read_certificate_file(reloaded.ca_file());
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(ca.get()), subject, sizeof subject);
  EXPECT_STREQ(subject, "/CN=mailflow lab CA");
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ca.get())), EVP_PKEY_EC);
}

TEST(LabCa, KeyFilesAreReadableByTheOwnerOnly) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(file_mode(dir.path() / "ca.key"), 0600u);
  EXPECT_EQ(file_mode(host.key_file), 0600u);
  EXPECT_EQ(file_mode(host.cert_file), 0644u);
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << "left behind: " << entry.path();
  }
}

TEST(LabCa, HostCertificateVerifiesAgainstTheCaAndNamesHostAndAddress) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(host.host_name, "mx.beta.test");
  EXPECT_EQ(host.cert_file, dir.path() / "hosts" / "mx.beta.test.pem");
  EXPECT_EQ(host.key_file, dir.path() / "hosts" / "mx.beta.test.key");
  EXPECT_EQ(verify_error(host.cert_file, ca.ca_file(), "mx.beta.test"), X509_V_OK);
  EXPECT_EQ(san_of(host.cert_file), (std::vector<std::string>{"DNS:mx.beta.test", "IP:127.10.2.2"}));

  auto cert = read_certificate_file(host.cert_file);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.10.2.2", 0), 1);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
}

TEST(LabCa, HostCertificateFailsVerificationForAnotherName) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(verify_error(host.cert_file, ca.ca_file(), "mx.alpha.test"), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(LabCa, KeepsAHostCertificateThatStillMatches) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto first = ca.host_certificate("mx.beta.test", "127.10.2.2");
  std::string pem = file_text(first.cert_file);
  auto reloaded = LabCa::load_or_create(dir.path());
  reloaded.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(file_text(first.cert_file), pem);
}

TEST(LabCa, ReissuesTheHostCertificateWhenTheAddressChanges) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2");
  std::string pem = file_text(host.cert_file);
  ca.host_certificate("mx.beta.test", "127.10.2.9");
  EXPECT_NE(file_text(host.cert_file), pem);
  EXPECT_EQ(san_of(host.cert_file), (std::vector<std::string>{"DNS:mx.beta.test", "IP:127.10.2.9"}));
  EXPECT_EQ(verify_error(host.cert_file, ca.ca_file()), X509_V_OK);
}

TEST(LabCa, ReissuesHostCertificatesWhenTheCaIsReplaced) {
  TempDir dir;
  auto host = LabCa::load_or_create(dir.path()).host_certificate("mx.beta.test", "127.10.2.2");
  fs::remove(dir.path() / "ca.pem");
  fs::remove(dir.path() / "ca.key");
  auto new_ca = LabCa::load_or_create(dir.path());
  new_ca.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(verify_error(host.cert_file, new_ca.ca_file()), X509_V_OK);
}

TEST(LabCa, ReissuesAHostCertificateWhoseKeyFileIsDamaged) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2");
  std::ofstream(host.key_file) << "not a key\n";
  ca.host_certificate("mx.beta.test", "127.10.2.2");
  EXPECT_EQ(verify_error(host.cert_file, ca.ca_file()), X509_V_OK);
  EXPECT_NE(file_text(host.key_file).find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(LabCa, ExpiredOptionGivesACertificateThatFailsAsExpired) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto good = ca.host_certificate("mx.beta.test", "127.10.2.2");
  std::string good_pem = file_text(good.cert_file);
  CertificateOptions expired;
  expired.not_before_offset = -std::chrono::hours(48);
  expired.valid_for = std::chrono::hours(24);
  auto bad = ca.host_certificate("mx.beta.test", "127.10.2.2", expired);
  EXPECT_EQ(bad.cert_file, dir.path() / "hosts" / "mx.beta.test.expired.pem");
  EXPECT_EQ(verify_error(bad.cert_file, ca.ca_file()), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(file_text(good.cert_file), good_pem) << "a fault must not replace the good certificate";
  // Asking again keeps the expired one rather than "repairing" it.
  std::string bad_pem = file_text(bad.cert_file);
  ca.host_certificate("mx.beta.test", "127.10.2.2", expired);
  EXPECT_EQ(file_text(bad.cert_file), bad_pem);
}

TEST(LabCa, NotYetValidOptionGivesACertificateThatFailsAsNotYetValid) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  CertificateOptions future;
  future.not_before_offset = std::chrono::hours(24);
  auto bad = ca.host_certificate("mx.beta.test", "127.10.2.2", future);
  EXPECT_EQ(bad.cert_file.filename(), "mx.beta.test.not-yet-valid.pem");
  EXPECT_EQ(verify_error(bad.cert_file, ca.ca_file()), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(LabCa, SelfSignedOptionGivesACertificateTheCaDoesNotVouchFor) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  CertificateOptions self_signed;
  self_signed.self_signed = true;
  auto bad = ca.host_certificate("mx.beta.test", "127.10.2.2", self_signed);
  EXPECT_EQ(bad.cert_file.filename(), "mx.beta.test.self-signed.pem");
  int error = verify_error(bad.cert_file, ca.ca_file());
  EXPECT_TRUE(error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
      << X509_verify_cert_error_string(error);
  auto cert = read_certificate_file(bad.cert_file);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1) << "signed by its own key";
}

TEST(LabCa, ExtraNamesAreAddedToTheSubjectAltNames) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  CertificateOptions options;
  options.extra_names = {"smtp.beta.test", "127.10.2.7"};
  auto host = ca.host_certificate("mx.beta.test", "127.10.2.2", options);
  EXPECT_EQ(host.cert_file.filename().string().rfind("mx.beta.test.extra-", 0), 0u) << host.cert_file;
  EXPECT_EQ(san_of(host.cert_file), (std::vector<std::string>{"DNS:mx.beta.test", "IP:127.10.2.2", "DNS:smtp.beta.test",
                                                              "IP:127.10.2.7"}));
  EXPECT_EQ(verify_error(host.cert_file, ca.ca_file(), "smtp.beta.test"), X509_V_OK);
}

TEST(LabCa, WrongHostCertificateIsOneForAnotherNameWithoutTheAddress) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  auto wrong = ca.host_certificate("wrong-host.test", "");
  EXPECT_EQ(san_of(wrong.cert_file), (std::vector<std::string>{"DNS:wrong-host.test"}));
  EXPECT_EQ(verify_error(wrong.cert_file, ca.ca_file(), "mx.beta.test"), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(LabCa, RejectsNamesThatAreNotHostNames) {
  TempDir dir;
  auto ca = LabCa::load_or_create(dir.path());
  for (const std::string name : {"", "../ca", "a/b", "a..b", "-a.test", "a-.test", "a b.test", "DNS:x,IP:1.2.3.4"}) {
    SCOPED_TRACE(name);
    EXPECT_THROW(ca.host_certificate(name, "127.0.0.1"), std::invalid_argument);
  }
  EXPECT_THROW(ca.host_certificate("mx.beta.test", "127.0.0"), std::invalid_argument);
  CertificateOptions options;
  options.extra_names = {"ok.test,DNS:evil.test"};
  EXPECT_THROW(ca.host_certificate("mx.beta.test", "127.0.0.1", options), std::invalid_argument);
}

TEST(LabCa, ADamagedCaIsReportedNotReplaced) {
  TempDir dir;
  LabCa::load_or_create(dir.path());
  std::string key = file_text(dir.path() / "ca.key");
  std::ofstream(dir.path() / "ca.pem") << "garbage\n";
  try {
    LabCa::load_or_create(dir.path());
    FAIL() << "a damaged ca.pem was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ca.pem"), std::string::npos) << e.what();
  }
  EXPECT_EQ(file_text(dir.path() / "ca.key"), key);
}

TEST(LabCa, ACaWhoseKeyIsMissingIsReported) {
  TempDir dir;
  LabCa::load_or_create(dir.path());
  fs::remove(dir.path() / "ca.key");
  EXPECT_THROW(LabCa::load_or_create(dir.path()), std::runtime_error);
}

TEST(CertificateOptions, DefaultsHaveNoVariantName) {
  EXPECT_TRUE(CertificateOptions{}.is_default());
  CertificateOptions both;
  both.self_signed = true;
  both.not_before_offset = -std::chrono::hours(30);
  both.valid_for = std::chrono::hours(1);
  EXPECT_EQ(both.variant_name(), "expired.self-signed");
  CertificateOptions short_lived;
  short_lived.valid_for = std::chrono::hours(2);
  EXPECT_EQ(short_lived.variant_name(), "valid-7200s-from-3600s-ago");
}

}  // namespace
}  // namespace mailflow::net
