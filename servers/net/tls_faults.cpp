// The TLS faults on a server's handshake: see tls_faults.hpp.
#include "servers/net/tls_faults.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <stdexcept>

namespace mailflow::net {

using sim::FaultKind;

bool is_handshake_fault(FaultKind kind) {
  return kind == FaultKind::SelfSignedCertificate || kind == FaultKind::ExpiredCertificate ||
         kind == FaultKind::WrongHostCertificate || kind == FaultKind::TlsVersionMismatch;
}

std::shared_ptr<ssl::context> TlsFaultCertificates::context_for(FaultKind kind, const std::string& host,
                                                                const std::string& address) {
  if (kind != FaultKind::SelfSignedCertificate && kind != FaultKind::ExpiredCertificate &&
      kind != FaultKind::WrongHostCertificate) {
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  auto& context = contexts_[{host, kind}];
  if (context) return context;
  HostCertificate certificate;
  if (kind == FaultKind::WrongHostCertificate) {
    // Another name and no address: neither the host name nor its IP matches.
    certificate = ca_.host_certificate("wrong-host.test", "");
  } else {
    CertificateOptions options;
    if (kind == FaultKind::SelfSignedCertificate) options.self_signed = true;
    if (kind == FaultKind::ExpiredCertificate) {
      // Valid for a year that ended 30 days ago: a certificate nobody renewed.
      options.valid_for = std::chrono::hours(24 * 365);
      options.not_before_offset = -std::chrono::hours(24 * (365 + 30));
    }
    certificate = ca_.host_certificate(host, address, options);
  }
  try {
    context = make_server_context(certificate, ca_.ca_file());
  } catch (...) {
    contexts_.erase({host, kind});
    throw;
  }
  return context;
}

std::string apply_handshake_fault(TlsStream& stream, FaultKind kind, TlsFaultCertificates* certificates,
                                  const std::string& host, const std::string& address) {
  SSL* ssl = stream.native_handle();
  if (kind == FaultKind::TlsVersionMismatch) {
    // Per connection, on the SSL itself: SSL_set_SSL_CTX would not carry version limits.
    // TLS 1.0 signs with MD5+SHA-1, which OpenSSL 3 allows only at security level 0.
    SSL_set_security_level(ssl, 0);
    if (SSL_set_min_proto_version(ssl, TLS1_VERSION) != 1 || SSL_set_max_proto_version(ssl, TLS1_VERSION) != 1) {
      throw std::runtime_error("cannot limit the handshake to TLS 1.0");
    }
    return "the server offers TLS 1.0 only; clients that require TLS 1.2 or newer refuse";
  }
  if (!certificates) throw std::runtime_error("no certificates for TLS faults here");
  auto context = certificates->context_for(kind, host, address);
  if (!context) return {};
  // What an SNI callback does to pick a certificate: the connection now presents the
  // faulty context's certificate, key and chain.
  SSL_set_SSL_CTX(ssl, context->native_handle());
  switch (kind) {
    case FaultKind::SelfSignedCertificate: return "the server presents a self-signed certificate for " + host;
    case FaultKind::ExpiredCertificate: return "the server presents a certificate for " + host + " that expired 30 days ago";
    case FaultKind::WrongHostCertificate: return "the server presents a certificate for wrong-host.test instead of " + host;
    default: return {};
  }
}

}  // namespace mailflow::net
