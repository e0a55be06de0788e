// Building Asio TLS contexts on OpenSSL 3.0 for the lab, and describing a finished handshake
// the way mail servers log it.
#include "servers/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace mailflow::net {
namespace {

int openssl_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::Tls1_0: return TLS1_VERSION;
    case TlsVersion::Tls1_1: return TLS1_1_VERSION;
    case TlsVersion::Tls1_2: return TLS1_2_VERSION;
    case TlsVersion::Tls1_3: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

[[noreturn]] void fail(const std::string& what) {
  std::string reasons = drain_openssl_errors();
  throw std::runtime_error(reasons.empty() ? what : what + ": " + reasons);
}

void apply_common_settings(ssl::context& context, TlsVersion min_version, std::optional<TlsVersion> max_version) {
  SSL_CTX* native = context.native_handle();
  // Compression leaks secrets (CRIME); renegotiation has a history of CVEs and no use here.
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, openssl_version(min_version)) != 1 ||
      (max_version && SSL_CTX_set_max_proto_version(native, openssl_version(*max_version)) != 1)) {
    fail("cannot set the TLS protocol versions");
  }
  // TLS 1.0 and 1.1 sign the handshake with SHA-1 and MD5, which OpenSSL 3 refuses at
  // security level 1 and up; a lesson that offers them must drop to level 0, as
  // `openssl s_client -cipher DEFAULT@SECLEVEL=0` does on the client side.
  if (min_version < TlsVersion::Tls1_2) SSL_CTX_set_security_level(native, 0);
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

const char* tls_version_name(TlsVersion version) {
  switch (version) {
    case TlsVersion::Tls1_0: return "TLSv1";  // OpenSSL's spelling for 1.0
    case TlsVersion::Tls1_1: return "TLSv1.1";
    case TlsVersion::Tls1_2: return "TLSv1.2";
    case TlsVersion::Tls1_3: return "TLSv1.3";
  }
  return "?";
}

std::shared_ptr<ssl::context> make_server_context(const HostCertificate& host, const std::filesystem::path& ca_file,
                                                  const TlsServerOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  apply_common_settings(*context, options.min_version, options.max_version);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_use_certificate_file(native, host.cert_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load the certificate " + host.cert_file.string());
  }
  if (SSL_CTX_use_PrivateKey_file(native, host.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load the key " + host.key_file.string());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    fail(host.key_file.string() + " is not the key of " + host.cert_file.string());
  }
  if (!ca_file.empty()) {
    // Only behind a certificate the CA issued: a self-signed fault must look like a real
    // stray self-signed server, which sends no chain.
    auto ca = read_certificate_file(ca_file);
    if (X509_check_issued(ca.get(), SSL_CTX_get0_certificate(native)) == X509_V_OK &&
        SSL_CTX_add1_chain_cert(native, ca.get()) != 1) {
      fail("cannot add " + ca_file.string() + " to the certificate chain");
    }
    ERR_clear_error();  // X509_check_issued may queue a reason for a mismatch
  }
  return context;
}

std::shared_ptr<ssl::context> make_client_context(const TlsClientOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  apply_common_settings(*context, options.min_version, options.max_version);
  if (!options.verify) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  context->set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(options.ca_file.string(), ec);
  }
  if (ec) {
    std::string source = options.ca_file.empty() ? "the system's trusted CAs" : options.ca_file.string();
    throw std::runtime_error("cannot load " + source + ": " + ec.message());
  }
  return context;
}

void prepare_client_stream(TlsStream& stream, const std::string& host_name, bool verify) {
  SSL* native = stream.native_handle();
  bool ip = is_ip_literal(host_name);
  if (!ip && !host_name.empty() && SSL_set_tlsext_host_name(native, host_name.c_str()) != 1) {
    fail("cannot set the server name " + host_name);
  }
  if (!verify) {
    stream.set_verify_mode(ssl::verify_none);
    return;
  }
  stream.set_verify_mode(ssl::verify_peer);
  // OpenSSL checks the name during chain verification, so a mismatch fails the handshake
  // with X509_V_ERR_HOSTNAME_MISMATCH / X509_V_ERR_IP_ADDRESS_MISMATCH as its reason.
  X509_VERIFY_PARAM* param = SSL_get0_param(native);
  int ok = 1;
  if (ip) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, host_name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = SSL_set1_host(native, host_name.c_str());
  }
  if (ok != 1) fail("cannot set the host name to verify: " + host_name);
}

std::string describe_tls(const SSL* ssl) {
  const SSL_CIPHER* cipher = ssl ? SSL_get_current_cipher(ssl) : nullptr;
  if (!cipher) return "no TLS";
  int algorithm_bits = 0;
  int secret_bits = SSL_CIPHER_get_bits(cipher, &algorithm_bits);
  return std::string(SSL_get_version(ssl)) + " with cipher " + SSL_CIPHER_get_name(cipher) + " (" +
         std::to_string(secret_bits) + "/" + std::to_string(algorithm_bits) + " bits)";
}

PeerVerification peer_verification(const SSL* ssl) {
  PeerVerification result;
  if (!ssl) return result;
  // After a failed verification OpenSSL keeps the chain the peer sent but not the peer
  // certificate itself, so fall back to the chain's first entry (the leaf).
  X509* peer = SSL_get0_peer_certificate(ssl);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (!peer && chain && sk_X509_num(chain) > 0) peer = sk_X509_value(chain, 0);
  result.presented = peer != nullptr;
  // Set even when the client chose not to verify: OpenSSL checks the chain anyway, so an
  // event can say "accepted without verification: self-signed certificate".
  result.error = SSL_get_verify_result(ssl);
  result.verified = result.presented && result.error == X509_V_OK;
  result.reason = result.presented || result.error != X509_V_OK ? X509_verify_cert_error_string(result.error)
                                                                 : "no certificate presented";
  std::unique_ptr<BIO, OpenSslFree<BIO_free_all>> bio(BIO_new(BIO_s_mem()));
  if (peer && bio && X509_NAME_print_ex(bio.get(), X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    result.subject.assign(data, static_cast<std::size_t>(size));
  }
  return result;
}

std::string requested_server_name(const SSL* ssl) {
  const char* name = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
  return name ? name : "";
}

}  // namespace mailflow::net
