// A blocking POP3 client for tests, read like the RFC dialogue:
//   Pop3Client c(address, port);
//   EXPECT_THAT(c.line(), StartsWith("+OK"));
//   c.send("STAT");
// POSIX sockets with a receive time-out (a test never hangs), optional TLS from the start
// (POP3S) or after STLS, with the certificate checked against the lab CA and host name.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace mailflow::pop3::test {

class Pop3Client {
 public:
  Pop3Client(const std::string& address, int port, int timeout_ms = 5000);
  ~Pop3Client();
  Pop3Client(const Pop3Client&) = delete;
  Pop3Client& operator=(const Pop3Client&) = delete;

  bool connected() const { return fd_ >= 0; }
  // The TLS handshake on the open connection (POP3S at once, or after "+OK" to STLS);
  // bytes already buffered in plaintext are dropped. False when it fails.
  bool start_tls(const std::string& ca_file, const std::string& host_name);

  void send(const std::string& line);  // CRLF appended
  void send_raw(const std::string& bytes);
  // The next line without its CRLF; "" on time-out or EOF (eof() tells which).
  std::string line();
  // After a positive status line: the body up to the "." line, un-stuffed, with CRLFs.
  std::string body();
  // One command and its status line.
  std::string command(const std::string& line);
  bool eof() const { return eof_; }
  // True when the server closes the connection within the time-out.
  bool closed_by_server();
  // Drops the connection without QUIT (a client that vanishes).
  void drop();

 private:
  bool fill();
  bool next_line(std::string& out);
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace mailflow::pop3::test
