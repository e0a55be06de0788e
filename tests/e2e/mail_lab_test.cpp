// The recipient-side end-to-end fixture: see mail_lab_test.hpp.
#include "tests/e2e/mail_lab_test.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/e2e/smtp_conversation.hpp"

namespace mailflow::e2e {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const nlohmann::json& MailLabTest::host(const std::string& name) const {
  for (const auto& h : lab_->ready()["hosts"]) {
    if (h["name"] == name) return h;
  }
  throw std::runtime_error("no host " + name);
}

fs::path MailLabTest::maildir_of(const std::string& address) const {
  for (const auto& u : lab_->ready()["users"]) {
    if (u["address"] == address) return std::string(u["maildir"]);
  }
  throw std::runtime_error("no user " + address);
}

std::size_t MailLabTest::inbox_count() const { return inbox_flags().size(); }

std::vector<std::string> MailLabTest::inbox_flags() const {
  std::vector<std::string> flags;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(bob_maildir() / sub, ec); it != fs::directory_iterator(); ++it) {
      std::string name = it->path().filename().string();
      auto colon = name.rfind(':');
      flags.push_back(colon == std::string::npos ? "" : name.substr(colon + 1));
    }
  }
  std::sort(flags.begin(), flags.end());
  return flags;
}

void MailLabTest::deliver(const std::string& subject, const std::string& body) {
  SmtpConversation c(address("mx.beta.test"), std::stoi(port("smtp", "mx.beta.test")));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO sender.example");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("MAIL FROM:<alice@alpha.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<bob@beta.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("DATA");
  ASSERT_TRUE(c.expect("354 *"));
  c.send_raw("Subject: " + subject + "\r\n\r\n" + body + "\r\n.\r\n");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("QUIT");
}

}  // namespace mailflow::e2e
