// The tests' blocking POP3 client: see pop3_client.hpp.
#include "tests/pop3/pop3_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace mailflow::pop3::test {

Pop3Client::Pop3Client(const std::string& address, int port, int timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Pop3Client::~Pop3Client() { drop(); }

void Pop3Client::drop() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Pop3Client::start_tls(const std::string& ca_file, const std::string& host_name) {
  if (fd_ < 0) return false;
  buffer_.clear();
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return false;
  ssl_ = SSL_new(ctx_);
  SSL_set_tlsext_host_name(ssl_, host_name.c_str());
  SSL_set1_host(ssl_, host_name.c_str());
  SSL_set_fd(ssl_, fd_);
  return SSL_connect(ssl_) == 1;
}

void Pop3Client::send(const std::string& line) { send_raw(line + "\r\n"); }

void Pop3Client::send_raw(const std::string& bytes) {
  if (fd_ < 0) return;
  if (ssl_) {
    SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
  } else {
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
}

bool Pop3Client::fill() {
  if (fd_ < 0) return false;
  char chunk[16384];
  long n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    // 0 (or a TLS close) is EOF; a time-out leaves eof_ unset.
    if (n == 0 || (ssl_ && SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_ZERO_RETURN)) eof_ = true;
    if (n < 0 && !ssl_ && errno != EAGAIN && errno != EWOULDBLOCK) eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool Pop3Client::next_line(std::string& out) {
  while (true) {
    auto end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      out = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return true;
    }
    if (!fill()) return false;
  }
}

std::string Pop3Client::line() {
  std::string l;
  return next_line(l) ? l : std::string();
}

std::string Pop3Client::body() {
  std::string out;
  std::string l;
  while (next_line(l) && l != ".") {
    if (!l.empty() && l[0] == '.') l.erase(0, 1);  // RFC 1939 §3: un-stuff
    out += l + "\r\n";
  }
  return out;
}

std::string Pop3Client::command(const std::string& l) {
  send(l);
  return line();
}

bool Pop3Client::closed_by_server() {
  while (fill()) buffer_.clear();
  return eof_;
}

}  // namespace mailflow::pop3::test
