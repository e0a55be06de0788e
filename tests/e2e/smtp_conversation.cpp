// Blocking SMTP conversations for end-to-end tests.
#include "tests/e2e/smtp_conversation.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace mailflow::e2e {

bool glob_match(const std::string& pattern, const std::string& text) {
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

SmtpConversation::SmtpConversation(const std::string& address, int port, int timeout_ms) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &to.sin_addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

SmtpConversation::~SmtpConversation() {
  if (fd_ >= 0) close(fd_);
}

void SmtpConversation::send(const std::string& line) { send_raw(line + "\r\n"); }

void SmtpConversation::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string SmtpConversation::read_line() {
  while (true) {
    auto end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end + 2);
      buffer_.erase(0, end + 2);
      return line;
    }
    char chunk[4096];
    ssize_t n = fd_ >= 0 ? recv(fd_, chunk, sizeof chunk, 0) : -1;
    if (n <= 0) return {};
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string SmtpConversation::read_reply() {
  std::string reply;
  while (true) {
    std::string line = read_line();
    if (line.empty()) return reply;
    reply += line;
    if (line.size() < 4 || line[3] != '-') return reply;
  }
}

bool SmtpConversation::expect(const std::string& pattern, std::string* got) {
  std::string reply = read_reply();
  if (got) *got = reply;
  // The pattern is matched against the last line of the reply, without its CRLF.
  std::string body = reply;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  auto at = body.rfind("\r\n");
  std::string last = at == std::string::npos ? body : body.substr(at + 2);
  return !reply.empty() && glob_match(pattern, last);
}

bool SmtpConversation::closed_by_server() {
  char c;
  ssize_t n = fd_ >= 0 ? recv(fd_, &c, 1, 0) : 0;
  return n == 0;
}

}  // namespace mailflow::e2e
