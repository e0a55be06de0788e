// The TLS faults (sim/fault.hpp, FaultPoint::TlsHandshake) acting on a server's handshake:
// before it, the session's stream is switched to what the fault presents, so a client sees
// exactly what a misconfigured real server sends.
//
//   self_signed_certificate  a certificate signed by its own key, not the lab CA, no chain
//                            (openssl: "self-signed certificate", X509_V_ERR 18)
//   expired_certificate      from the lab CA, for the right name, notAfter 30 days ago
//                            (openssl: "certificate has expired", 10)
//   wrong_host_certificate   from the lab CA, but for "wrong-host.test" only
//                            (openssl with -verify_hostname: "hostname mismatch", 62)
//   tls_version_mismatch     the server offers TLS 1.0 only, as an unmaintained server still
//                            does. A client limited to TLS 1.2+ (Debian's MinProtocol
//                            TLSv1.2, curl, Python) finds no common version: protocol_version
//                            alert ("unsupported protocol"). A default OpenSSL 3 client
//                            without that limit negotiates 1.0 and then refuses the server's
//                            MD5+SHA-1 signature at security level 1 ("legacy sigalg
//                            disallowed or unsupported"). A client allowing 1.0 at security
//                            level 0 still gets through, as with a real legacy server.
//
// Certificates come from the lab CA (lab_ca.hpp), issued on first use and cached per host;
// the lab's good certificates are never touched.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "servers/net/lab_ca.hpp"
#include "servers/net/tls.hpp"
#include "sim/fault.hpp"

namespace mailflow::net {

// The faulty server contexts, per host and kind. Thread-safe: the first handshake a fault
// hits issues the certificate (a few milliseconds, once), later ones reuse the context.
class TlsFaultCertificates {
 public:
  explicit TlsFaultCertificates(LabCa& ca) : ca_(ca) {}
  // The context presenting `kind`'s certificate for host, or null for a kind that is not a
  // certificate fault. Throws std::runtime_error when the CA cannot issue it.
  std::shared_ptr<ssl::context> context_for(sim::FaultKind kind, const std::string& host, const std::string& address);

 private:
  LabCa& ca_;
  std::mutex mutex_;
  std::map<std::pair<std::string, sim::FaultKind>, std::shared_ptr<ssl::context>> contexts_;
};

// Whether kind acts on the handshake itself: the four above (starttls_required acts at MAIL).
bool is_handshake_fault(sim::FaultKind kind);

// Switches stream (not yet handshaken) to what the fault presents; returns the effect for
// the fault's event. Certificate faults need certificates (throws std::runtime_error when
// null or the CA fails).
std::string apply_handshake_fault(TlsStream& stream, sim::FaultKind kind, TlsFaultCertificates* certificates,
                                  const std::string& host, const std::string& address);

}  // namespace mailflow::net
