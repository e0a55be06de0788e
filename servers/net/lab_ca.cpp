// The lab CA on OpenSSL 3.0: EC P-256 keys (EVP_EC_gen), X.509 v3 certificates signed with
// SHA-256, PEM files written atomically (temporary file, fsync, rename) so a crash never
// leaves half a key where the next start would read it.
#include "servers/net/lab_ca.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace mailflow::net {
namespace {

namespace fs = std::filesystem;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslFree<ASN1_INTEGER_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslFree<GENERAL_NAMES_free>>;

constexpr const char* kCaCommonName = "mailflow lab CA";
constexpr long kCaLifetimeSeconds = 10L * 365 * 24 * 3600;
constexpr long kCaBackdateSeconds = 3600;

// Throws with OpenSSL's queued reasons appended, and empties the queue for the next call.
[[noreturn]] void fail(const std::string& what) {
  std::string reasons = drain_openssl_errors();
  throw std::runtime_error(reasons.empty() ? what : what + ": " + reasons);
}

void write_file_atomically(const fs::path& path, const std::string& data, mode_t mode) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  ::unlink(temp.c_str());  // left over from a crash
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + temp.string() + ": " + std::strerror(errno));
  // The umask may have narrowed or (for keys, dangerously) the mode must be exact.
  bool ok = ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved_errno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    if (ok) saved_errno = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(saved_errno));
  }
  int dir_fd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

EvpPkeyPtr read_key_file(const fs::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) fail("cannot open " + path.string());
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail(path.string() + " holds no PEM private key");
  return key;
}

std::string memory_bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string pem_text(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("cannot encode a certificate");
  return memory_bio_text(bio.get());
}

std::string pem_text(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("cannot encode a private key");
  }
  return memory_bio_text(bio.get());
}

EvpPkeyPtr generate_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("cannot generate an EC P-256 key");
  return key;
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits make collisions moot.
void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail("cannot draw a random serial number");
  bytes[0] &= 0x7f;
  bytes[0] |= 0x40;  // keep all 16 octets so serials have one length
  BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  Asn1IntegerPtr serial(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) fail("cannot set a serial number");
}

void set_common_name(X509* cert, const std::string& common_name, X509_NAME* issuer) {
  X509_NAME* subject = X509_get_subject_name(cert);
  auto cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert, issuer ? issuer : subject) != 1) {
    fail("cannot set the name " + common_name);
  }
}

// `value` uses openssl.cnf's syntax (x509v3_config(5)); callers pass only validated names.
void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    fail(std::string("cannot add the extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

X509Ptr new_certificate(EVP_PKEY* key, long not_before_offset, long lifetime) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) fail("cannot make a certificate");  // 2 means v3
  set_random_serial(cert.get());
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_offset) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_before_offset + lifetime) ||
      X509_set_pubkey(cert.get(), key) != 1) {
    fail("cannot set a certificate's validity or key");
  }
  return cert;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// RFC 1123 §2.1 host names; also what makes a name safe as a file name (no '/', no "..").
bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(name[i])) || (name[i] == '-' && label > 0)) {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

// The address as inet_ntop writes it, so "::0001" and "::1" compare equal.
std::optional<std::string> canonical_ip(const std::string& text) {
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, text.c_str(), bytes) == 1 && inet_ntop(family, bytes, out, sizeof out)) return out;
  }
  return std::nullopt;
}

std::string san_entry(const std::string& name) {
  if (auto ip = canonical_ip(name)) return "IP:" + *ip;
  if (is_dns_name(name)) return "DNS:" + lowercase(name);
  throw std::invalid_argument("not a host name or IP address: \"" + name + "\"");
}

std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> names;
  GeneralNamesPtr general_names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; general_names && i < sk_GENERAL_NAME_num(general_names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names.get(), i);
    if (name->type == GEN_DNS) {
      auto data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName));
      names.push_back("DNS:" + lowercase(std::string(data, ASN1_STRING_length(name->d.dNSName))));
    } else if (name->type == GEN_IPADD) {
      int length = ASN1_STRING_length(name->d.iPAddress);
      char out[INET6_ADDRSTRLEN];
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : -1;
      if (family < 0 || !inet_ntop(family, ASN1_STRING_get0_data(name->d.iPAddress), out, sizeof out)) {
        names.push_back("IP:?");
      } else {
        names.push_back(std::string("IP:") + out);
      }
    } else {
      names.push_back("other");
    }
  }
  return names;
}

enum class ValidityState { Valid, Expired, NotYetValid, Unknown };

ValidityState validity_state(X509* cert) {
  int before = X509_cmp_current_time(X509_get0_notBefore(cert));
  int after = X509_cmp_current_time(X509_get0_notAfter(cert));
  if (before == 0 || after == 0) return ValidityState::Unknown;
  if (before > 0) return ValidityState::NotYetValid;
  if (after < 0) return ValidityState::Expired;
  return ValidityState::Valid;
}

ValidityState intended_validity(const CertificateOptions& options) {
  if (options.not_before_offset + options.valid_for <= std::chrono::seconds(0)) return ValidityState::Expired;
  if (options.not_before_offset > std::chrono::seconds(0)) return ValidityState::NotYetValid;
  return ValidityState::Valid;
}

bool is_signed_by(X509* cert, X509* issuer) {
  return X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) == 0 &&
         X509_verify(cert, X509_get0_pubkey(issuer)) == 1;
}

}  // namespace

std::string drain_openssl_errors() {
  std::string reasons;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reasons += (reasons.empty() ? "" : "; ") + std::string(text);
  }
  return reasons;
}

X509Ptr read_certificate_file(const std::filesystem::path& pem_file) {
  BioPtr bio(BIO_new_file(pem_file.c_str(), "r"));
  if (!bio) fail("cannot open " + pem_file.string());
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail(pem_file.string() + " holds no PEM certificate");
  return cert;
}

std::string certificate_fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) fail("cannot hash a certificate");
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", digest[i]);
    text += hex;
  }
  return text;
}

bool CertificateOptions::is_default() const { return variant_name().empty(); }

std::string CertificateOptions::variant_name() const {
  const CertificateOptions defaults;
  std::vector<std::string> parts;
  switch (intended_validity(*this)) {
    case ValidityState::Expired: parts.push_back("expired"); break;
    case ValidityState::NotYetValid: parts.push_back("not-yet-valid"); break;
    default:
      if (valid_for != defaults.valid_for || not_before_offset != defaults.not_before_offset) {
        // Here the offset is <= 0 (a positive one is "not-yet-valid").
        parts.push_back("valid-" + std::to_string(valid_for.count()) + "s-from-" +
                        std::to_string(-not_before_offset.count()) + "s-ago");
      }
  }
  if (self_signed) parts.push_back("self-signed");
  if (!extra_names.empty()) {
    // FNV-1a: stable across runs and builds, unlike std::hash.
    std::uint32_t hash = 2166136261u;
    for (const auto& name : extra_names) {
      for (char c : lowercase(name) + ",") hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "extra-%08x", hash);
    parts.push_back(hex);
  }
  std::string name;
  for (const auto& part : parts) name += (name.empty() ? "" : ".") + part;
  return name;
}

LabCa::~LabCa() = default;

LabCa LabCa::load_or_create(const std::filesystem::path& dir) {
  LabCa ca;
  ca.dir_ = dir;
  ca.ca_file_ = dir / "ca.pem";
  const fs::path key_file = dir / "ca.key";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the CA directory " + dir.string() + ": " + ec.message());

  if (fs::exists(ca.ca_file_)) {
    const std::string remedy = "; remove " + ca.ca_file_.string() + " and " + key_file.string() +
                               " to create a new lab CA (clients must then trust the new ca.pem)";
    if (!fs::exists(key_file)) throw std::runtime_error("the lab CA's key " + key_file.string() + " is missing" + remedy);
    try {
      ca.ca_cert_ = read_certificate_file(ca.ca_file_);
      ca.ca_key_ = read_key_file(key_file);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(e.what() + remedy);
    }
    if (X509_check_private_key(ca.ca_cert_.get(), ca.ca_key_.get()) != 1) {
      ERR_clear_error();
      throw std::runtime_error(key_file.string() + " is not the key of " + ca.ca_file_.string() + remedy);
    }
    if (X509_check_ca(ca.ca_cert_.get()) == 0) throw std::runtime_error(ca.ca_file_.string() + " is not a CA certificate" + remedy);
    if (validity_state(ca.ca_cert_.get()) != ValidityState::Valid) {
      throw std::runtime_error(ca.ca_file_.string() + " is expired or not yet valid" + remedy);
    }
    return ca;
  }

  ca.ca_key_ = generate_key();
  ca.ca_cert_ = new_certificate(ca.ca_key_.get(), -kCaBackdateSeconds, kCaLifetimeSeconds);
  X509* cert = ca.ca_cert_.get();
  set_common_name(cert, kCaCommonName, nullptr);
  // pathlen:0 — the lab CA signs host certificates only, never another CA.
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  if (X509_sign(cert, ca.ca_key_.get(), EVP_sha256()) <= 0) fail("cannot sign the lab CA certificate");
  // Key first: a crash between the two writes leaves no ca.pem, so the next start creates both.
  write_file_atomically(key_file, pem_text(ca.ca_key_.get()), 0600);
  write_file_atomically(ca.ca_file_, pem_text(cert), 0644);
  return ca;
}

bool LabCa::is_current(X509* cert, EVP_PKEY* key, const std::vector<std::string>& names,
                       const CertificateOptions& options) const {
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return false;
  }
  auto present = subject_alt_names(cert);
  std::sort(present.begin(), present.end());
  auto wanted = names;
  std::sort(wanted.begin(), wanted.end());
  if (present != wanted) return false;
  if (validity_state(cert) != intended_validity(options)) return false;
  bool signed_as_intended = options.self_signed ? is_signed_by(cert, cert) : is_signed_by(cert, ca_cert_.get());
  ERR_clear_error();
  return signed_as_intended;
}

HostCertificate LabCa::host_certificate(const std::string& host_name, const std::string& address,
                                        const CertificateOptions& options) {
  if (!is_dns_name(host_name)) throw std::invalid_argument("not a host name: \"" + host_name + "\"");
  std::vector<std::string> names = {"DNS:" + lowercase(host_name)};
  if (!address.empty()) {
    auto ip = canonical_ip(address);
    if (!ip) throw std::invalid_argument("not an IP address: \"" + address + "\"");
    names.push_back("IP:" + *ip);
  }
  for (const auto& extra : options.extra_names) names.push_back(san_entry(extra));

  HostCertificate result;
  result.host_name = lowercase(host_name);
  const fs::path hosts_dir = dir_ / "hosts";
  const std::string variant = options.variant_name();
  const std::string stem = result.host_name + (variant.empty() ? "" : "." + variant);
  result.cert_file = hosts_dir / (stem + ".pem");
  result.key_file = hosts_dir / (stem + ".key");

  if (fs::exists(result.cert_file) && fs::exists(result.key_file)) {
    try {
      auto cert = read_certificate_file(result.cert_file);
      auto key = read_key_file(result.key_file);
      if (is_current(cert.get(), key.get(), names, options)) return result;
    } catch (const std::runtime_error&) {
      ERR_clear_error();  // unreadable: issue a fresh one below
    }
  }

  std::error_code ec;
  fs::create_directories(hosts_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + hosts_dir.string() + ": " + ec.message());
  auto key = generate_key();
  auto cert = new_certificate(key.get(), static_cast<long>(options.not_before_offset.count()),
                              static_cast<long>(options.valid_for.count()));
  X509* issuer = options.self_signed ? cert.get() : ca_cert_.get();
  set_common_name(cert.get(), result.host_name, options.self_signed ? nullptr : X509_get_subject_name(issuer));
  add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  if (!options.self_signed) add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& name : names) san += (san.empty() ? "" : ",") + name;
  add_extension(cert.get(), issuer, NID_subject_alt_name, san);
  EVP_PKEY* signer = options.self_signed ? key.get() : ca_key_.get();
  if (X509_sign(cert.get(), signer, EVP_sha256()) <= 0) fail("cannot sign the certificate for " + host_name);

  write_file_atomically(result.key_file, pem_text(key.get()), 0600);
  write_file_atomically(result.cert_file, pem_text(cert.get()), 0644);
  return result;
}

}  // namespace mailflow::net
