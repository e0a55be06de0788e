// TLS contexts for the lab's servers and simulated clients (Asio's ssl::context over OpenSSL
// 3.0). Servers present their host certificate with the lab CA behind it; clients trust the
// lab CA and check the host name per connection (RFC 6125 via SSL_set1_host). Protocol
// versions are options so a fault can offer only TLS 1.0 to a client that wants 1.2.
// Compression (CRIME) and renegotiation are always off.
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl.hpp>

#include "servers/net/asio.hpp"
#include "servers/net/lab_ca.hpp"

namespace mailflow::net {

namespace ssl = asio::ssl;
using TlsStream = ssl::stream<tcp::socket>;

enum class TlsVersion { Tls1_0, Tls1_1, Tls1_2, Tls1_3 };

// "TLSv1.2", as OpenSSL and Postfix's Received headers spell it.
const char* tls_version_name(TlsVersion version);

struct TlsServerOptions {
  // RFC 8996 deprecates 1.0 and 1.1; lower it only for a protocol-mismatch lesson.
  TlsVersion min_version = TlsVersion::Tls1_2;
  // Unset: the newest OpenSSL has. A fault sets Tls1_1 to refuse today's clients.
  std::optional<TlsVersion> max_version;
};

// A server context presenting host's certificate (and the CA certificate after it when the
// CA issued it, so clients get the whole chain) with its key. Throws std::runtime_error
// naming the file when a certificate or key cannot be loaded or they do not match.
std::shared_ptr<ssl::context> make_server_context(const HostCertificate& host, const std::filesystem::path& ca_file,
                                                  const TlsServerOptions& options = {});

struct TlsClientOptions {
  // Off: any certificate is accepted (a client told to skip verification, "-k").
  bool verify = true;
  // The CA to trust; empty: the system's default trust store.
  std::filesystem::path ca_file;
  TlsVersion min_version = TlsVersion::Tls1_2;
  std::optional<TlsVersion> max_version;
};

// A client context trusting options.ca_file. Host name checks are per stream
// (prepare_client_stream), since one context serves connections to many hosts.
std::shared_ptr<ssl::context> make_client_context(const TlsClientOptions& options);

// Before the handshake: sends SNI (RFC 6066 §3; not for an IP literal, which SNI forbids)
// and, when verify is set, makes the handshake fail unless the certificate names host_name
// (a DNS name, or an IP address matched against the IP SANs).
void prepare_client_stream(TlsStream& stream, const std::string& host_name, bool verify);

// "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" — the phrase Postfix puts in
// Received headers and logs; "no TLS" before a handshake.
std::string describe_tls(const SSL* ssl);

// What the verification of the peer's certificate concluded, for events and lessons.
struct PeerVerification {
  bool presented = false;  // the peer sent a certificate
  bool verified = false;   // presented, and the chain and name checks passed
  long error = 0;          // X509_V_OK or an X509_V_ERR_* code
  std::string reason;      // "ok", "certificate has expired", "hostname mismatch", ...
  std::string subject;     // the peer certificate's subject, "CN=mx.beta.test"; empty if none
};
PeerVerification peer_verification(const SSL* ssl);

// The name the server asked for by SNI, or empty (clients that dial an address send none).
std::string requested_server_name(const SSL* ssl);

}  // namespace mailflow::net
