// TLS contexts over real loopback sockets: a small Asio TLS echo server presents lab
// certificates; our client context and the real `openssl s_client` verify them, and the
// fault certificates and protocol limits fail the way a real client would see.
#include "servers/net/tls.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/e2e/lab_process.hpp"

namespace mailflow::net {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kServerAddress = "127.10.9.1";
constexpr const char* kHost = "mx.beta.test";

// Handshake, read one line, write it back, close — on its own thread.
class TlsEchoServer {
 public:
  explicit TlsEchoServer(std::shared_ptr<ssl::context> context)
      : context_(std::move(context)), acceptor_(io_, tcp::endpoint(asio::ip::make_address(kServerAddress), 0)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsEchoServer() {
    io_.stop();
    thread_.join();
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  std::string address_text() const { return endpoint_text(endpoint()); }
  int handshakes() const { return handshakes_; }
  std::string last_server_name() const {
    std::lock_guard lock(mutex_);
    return last_server_name_;
  }

 private:
  awaitable<void> accept_loop() {
    while (true) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, echo(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> echo(tcp::socket socket) {
    TlsStream stream(std::move(socket), *context_);
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    ++handshakes_;
    {
      std::lock_guard lock(mutex_);
      last_server_name_ = requested_server_name(stream.native_handle());
    }
    std::string line;
    co_await asio::async_read_until(stream, asio::dynamic_buffer(line), '\n', asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await asio::async_write(stream, asio::buffer(line), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }

  asio::io_context io_;  // first: destroyed last, after everything that uses it
  std::shared_ptr<ssl::context> context_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> handshakes_{0};
  mutable std::mutex mutex_;
  std::string last_server_name_;
};

struct ClientOutcome {
  bool finished = false;
  int chain_length = 0;  // certificates the server sent
  error_code handshake_error;
  std::string echoed;
  PeerVerification verification;
  std::string tls;
};

awaitable<void> echo_once(tcp::endpoint server, ssl::context& context, std::string host, bool verify,
                          ClientOutcome* outcome) {
  auto executor = co_await asio::this_coro::executor;
  TlsStream stream(tcp::socket(executor), context);
  error_code ec;
  co_await stream.next_layer().async_connect(server, asio::redirect_error(use_awaitable, ec));
  if (!ec) {
    prepare_client_stream(stream, host, verify);
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
  }
  outcome->handshake_error = ec;
  outcome->verification = peer_verification(stream.native_handle());
  outcome->tls = describe_tls(stream.native_handle());
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(stream.native_handle())) outcome->chain_length = sk_X509_num(chain);
  if (!ec) {
    co_await asio::async_write(stream, asio::buffer(std::string("hello over TLS\n")),
                               asio::redirect_error(use_awaitable, ec));
    std::string reply;
    if (!ec) {
      co_await asio::async_read_until(stream, asio::dynamic_buffer(reply), '\n', asio::redirect_error(use_awaitable, ec));
    }
    outcome->echoed = reply;
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }
  outcome->finished = true;
}

ClientOutcome talk(const TlsEchoServer& server, ssl::context& context, const std::string& host, bool verify = true) {
  asio::io_context io;
  ClientOutcome outcome;
  asio::co_spawn(io, echo_once(server.endpoint(), context, host, verify, &outcome), asio::detached);
  io.run_for(10s);
  EXPECT_TRUE(outcome.finished) << "the client did not finish within 10 s";
  return outcome;
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : dir_(e2e::make_temp_dir("mailflow-tls")), ca_(LabCa::load_or_create(dir_ / "ca")) {}
  ~TlsTest() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  HostCertificate host(const CertificateOptions& options = {}) {
    return ca_.host_certificate(kHost, kServerAddress, options);
  }
  std::shared_ptr<ssl::context> client(TlsVersion min_version = TlsVersion::Tls1_2) {
    return make_client_context({.verify = true, .ca_file = ca_.ca_file(), .min_version = min_version});
  }

  fs::path dir_;
  LabCa ca_;
};

TEST_F(TlsTest, ClientTrustingTheLabCaVerifiesTheServerByName) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto outcome = talk(server, *client(), kHost);
  ASSERT_FALSE(outcome.handshake_error) << outcome.handshake_error.message();
  EXPECT_EQ(outcome.echoed, "hello over TLS\n");
  EXPECT_TRUE(outcome.verification.verified);
  EXPECT_EQ(outcome.verification.reason, "ok");
  EXPECT_EQ(outcome.verification.subject, "CN=mx.beta.test");
  EXPECT_EQ(server.last_server_name(), kHost) << "the client sends SNI";
  EXPECT_EQ(outcome.chain_length, 2) << "the host certificate, then the lab CA";
}

TEST_F(TlsTest, ClientVerifiesTheServerByAddress) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto outcome = talk(server, *client(), kServerAddress);
  ASSERT_FALSE(outcome.handshake_error) << outcome.handshake_error.message();
  EXPECT_TRUE(outcome.verification.verified);
  EXPECT_EQ(server.last_server_name(), "") << "RFC 6066 §3: no SNI for an address";
}

TEST_F(TlsTest, DescribesTheSessionLikeAReceivedHeader) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto outcome = talk(server, *client(), kHost);
  ASSERT_FALSE(outcome.handshake_error) << outcome.handshake_error.message();
  EXPECT_EQ(outcome.tls, "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
  EXPECT_EQ(describe_tls(nullptr), "no TLS");
}

TEST_F(TlsTest, ClientRejectsACertificateForAnotherHost) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto outcome = talk(server, *client(), "mx.alpha.test");
  EXPECT_TRUE(outcome.handshake_error);
  EXPECT_EQ(outcome.verification.error, X509_V_ERR_HOSTNAME_MISMATCH) << outcome.verification.reason;
  EXPECT_EQ(outcome.verification.reason, "hostname mismatch");
  EXPECT_FALSE(outcome.verification.verified);
  EXPECT_EQ(server.handshakes(), 0);
}

TEST_F(TlsTest, ClientRejectsAnExpiredCertificate) {
  CertificateOptions expired{.valid_for = 1h, .not_before_offset = -2h};
  TlsEchoServer server(make_server_context(host(expired), ca_.ca_file()));
  auto outcome = talk(server, *client(), kHost);
  EXPECT_TRUE(outcome.handshake_error);
  EXPECT_EQ(outcome.verification.error, X509_V_ERR_CERT_HAS_EXPIRED) << outcome.verification.reason;
}

TEST_F(TlsTest, ClientRejectsASelfSignedCertificateUnlessToldNotToVerify) {
  CertificateOptions self_signed{.self_signed = true};
  TlsEchoServer server(make_server_context(host(self_signed), ca_.ca_file()));
  auto strict = talk(server, *client(), kHost);
  EXPECT_TRUE(strict.handshake_error);
  EXPECT_TRUE(strict.verification.error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
              strict.verification.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
      << strict.verification.reason;
  EXPECT_TRUE(strict.verification.presented);
  EXPECT_EQ(strict.chain_length, 1) << "a stray self-signed server sends no CA";

  auto lax_context = make_client_context({.verify = false});
  auto lax = talk(server, *lax_context, kHost, false);
  ASSERT_FALSE(lax.handshake_error) << lax.handshake_error.message();
  EXPECT_EQ(lax.echoed, "hello over TLS\n");
  EXPECT_FALSE(lax.verification.verified) << "accepted, but not vouched for";
  EXPECT_NE(lax.verification.error, X509_V_OK);
}

TEST_F(TlsTest, ServerLimitedToOldVersionsRefusesAModernClient) {
  TlsServerOptions old_only{.min_version = TlsVersion::Tls1_0, .max_version = TlsVersion::Tls1_1};
  TlsEchoServer server(make_server_context(host(), ca_.ca_file(), old_only));
  auto outcome = talk(server, *client(), kHost);
  EXPECT_TRUE(outcome.handshake_error);
  EXPECT_EQ(server.handshakes(), 0);
}

TEST_F(TlsTest, OldVersionWorksWhenBothSidesAllowIt) {
  TlsServerOptions old_only{.min_version = TlsVersion::Tls1_0, .max_version = TlsVersion::Tls1_1};
  TlsEchoServer server(make_server_context(host(), ca_.ca_file(), old_only));
  auto outcome = talk(server, *client(TlsVersion::Tls1_0), kHost);
  ASSERT_FALSE(outcome.handshake_error) << outcome.handshake_error.message();
  EXPECT_EQ(outcome.tls.rfind("TLSv1.1 with cipher ", 0), 0u) << outcome.tls;
}

TEST_F(TlsTest, ServerContextNamesTheFileItCannotLoad) {
  HostCertificate missing{dir_ / "nope.pem", dir_ / "nope.key", kHost};
  try {
    make_server_context(missing, ca_.ca_file());
    FAIL() << "a missing certificate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
  auto good = host();
  auto other = ca_.host_certificate("mx.alpha.test", "127.10.1.2");
  EXPECT_THROW(make_server_context({good.cert_file, other.key_file, kHost}, ca_.ca_file()), std::runtime_error);
}

// The issue's acceptance check, with the real client.
TEST_F(TlsTest, OpensslSClientVerifiesTheServer) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto result = e2e::run_command({"openssl", "s_client", "-connect", server.address_text(), "-verify_return_error",
                                  "-CAfile", ca_.ca_file().string(), "-servername", kHost, "-verify_hostname", kHost,
                                  "-brief"},
                                 15);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Verification: OK"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Protocol version: TLSv1.3"), std::string::npos) << result.output;
}

TEST_F(TlsTest, OpensslSClientRejectsTheServerUnderAnotherName) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto result = e2e::run_command({"openssl", "s_client", "-connect", server.address_text(), "-verify_return_error",
                                  "-CAfile", ca_.ca_file().string(), "-servername", "wrong.beta.test",
                                  "-verify_hostname", "wrong.beta.test", "-brief"},
                                 15);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("hostname mismatch"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("Verification: OK"), std::string::npos) << result.output;
}

TEST_F(TlsTest, OpensslSClientRejectsTheServerWithoutTheLabCa) {
  TlsEchoServer server(make_server_context(host(), ca_.ca_file()));
  auto other_ca = LabCa::load_or_create(dir_ / "other-ca");
  auto result = e2e::run_command({"openssl", "s_client", "-connect", server.address_text(), "-verify_return_error",
                                  "-CAfile", other_ca.ca_file().string(), "-servername", kHost, "-brief"},
                                 15);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("Verification: OK"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace mailflow::net
