// The lab's own certificate authority (DESIGN.md "TLS"): on first start it creates a CA in
// the state directory and issues one certificate per host (SAN = host name and address), so
// any client that trusts ca.pem can verify every lab server. It can also issue the broken
// certificates that TLS faults need (expired, not yet valid, self-signed, for another name)
// under distinct file names, so a fault never overwrites a host's good certificate.
//
// Layout in the CA directory:
//   ca.pem, ca.key                    the CA (EC P-256, 10 years); ca.key is mode 0600
//   hosts/<host>.pem, <host>.key      a host's certificate and key (key 0600)
//   hosts/<host>.<variant>.pem/.key   a fault's certificate, e.g. <host>.expired.pem
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace mailflow::net {

// Owning pointers for OpenSSL objects, so every early return frees what it made.
template <auto Free>
struct OpenSslFree {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX_free>>;

// OpenSSL's queued error reasons, "; "-separated (empty when none), and clears the queue.
std::string drain_openssl_errors();
// Reads the first certificate of a PEM file; throws std::runtime_error naming the file.
X509Ptr read_certificate_file(const std::filesystem::path& pem_file);
// "AB:CD:..." — the SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it.
std::string certificate_fingerprint(X509* certificate);

// How to issue a host certificate. The defaults give the good certificate; anything else is
// a fault's certificate and is stored under its own name (see variant_name()).
struct CertificateOptions {
  // Validity period, starting at now + not_before_offset. 825 days is the longest lifetime
  // Apple's clients accept for a server certificate.
  std::chrono::seconds valid_for = std::chrono::hours(24 * 825);
  // Negative: starts in the past, so clocks slightly behind still accept it. An offset below
  // -valid_for gives an expired certificate; a positive one, a certificate not yet valid.
  std::chrono::seconds not_before_offset = -std::chrono::hours(1);
  // A fault: signed by its own key instead of the lab CA.
  bool self_signed = false;
  // More subjectAltName entries: DNS names, or IP addresses (v4 or v6).
  std::vector<std::string> extra_names;

  bool is_default() const;
  // "" for the defaults, else what makes it different: "expired", "not-yet-valid",
  // "self-signed", "valid-<N>s-from-<M>s-ago", "extra-<hash>", joined by '.'.
  std::string variant_name() const;
};

struct HostCertificate {
  std::filesystem::path cert_file;  // PEM, the host certificate alone (the CA is in ca_file)
  std::filesystem::path key_file;   // PEM, PKCS#8, mode 0600
  std::string host_name;
};

// Not thread-safe: issue certificates from one thread (the lab does it at start-up).
class LabCa {
 public:
  // Loads <dir>/ca.pem and <dir>/ca.key, or creates both when ca.pem does not exist yet.
  // Throws std::runtime_error saying which file is wrong when they cannot be used (unreadable,
  // key does not match, not a CA, expired); the lab never replaces a CA a user may trust.
  static LabCa load_or_create(const std::filesystem::path& dir);

  LabCa(LabCa&&) noexcept = default;
  LabCa& operator=(LabCa&&) noexcept = default;
  ~LabCa();

  const std::filesystem::path& ca_file() const { return ca_file_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string ca_fingerprint() const { return certificate_fingerprint(ca_cert_.get()); }

  // Loads the host's certificate, or issues it when it is missing or no longer matches
  // (other subjectAltNames, wrong validity state, not signed as the options say, key does not
  // match). SAN: DNS:<host_name>, IP:<address> (left out when address is empty), then
  // extra_names; CN=<host_name>; EKU serverAuth+clientAuth; keyUsage digitalSignature;
  // random 128-bit serial; SHA-256. A wrong-host fault is a certificate for another name
  // with no address: host_certificate("wrong-host.test", "").
  // Throws std::invalid_argument for a host name or address that is not one, and
  // std::runtime_error when OpenSSL or the file system fails.
  HostCertificate host_certificate(const std::string& host_name, const std::string& address,
                                   const CertificateOptions& options = {});

 private:
  LabCa() = default;
  bool is_current(X509* cert, EVP_PKEY* key, const std::vector<std::string>& names,
                  const CertificateOptions& options) const;

  std::filesystem::path dir_;
  std::filesystem::path ca_file_;
  X509Ptr ca_cert_;
  EvpPkeyPtr ca_key_;
};

}  // namespace mailflow::net
