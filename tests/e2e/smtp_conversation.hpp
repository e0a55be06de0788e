// A plaintext SMTP conversation for end-to-end tests, read like the RFC dialogue:
//   SmtpConversation c(address, port);
//   c.expect("220 *");
//   c.send("MAIL FROM:<a@b>");
//   c.expect("550 5.1.1 *");
// Blocking POSIX sockets with a receive time-out, so a test can never hang.
#pragma once

#include <string>

namespace mailflow::e2e {

class SmtpConversation {
 public:
  SmtpConversation(const std::string& address, int port, int timeout_ms = 5000);
  ~SmtpConversation();
  SmtpConversation(const SmtpConversation&) = delete;
  SmtpConversation& operator=(const SmtpConversation&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends the line with CRLF appended.
  void send(const std::string& line);
  // Sends bytes as they are.
  void send_raw(const std::string& bytes);
  // The next whole reply (all lines of a multi-line reply), CRLFs kept; "" on time-out or EOF.
  std::string read_reply();
  // Reads the next reply and checks it against a pattern where '*' matches anything;
  // returns the reply for the test's message.
  bool expect(const std::string& pattern, std::string* got = nullptr);
  // True when the server closed the connection (EOF within the time-out).
  bool closed_by_server();

 private:
  std::string read_line();
  int fd_ = -1;
  std::string buffer_;
};

bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace mailflow::e2e
