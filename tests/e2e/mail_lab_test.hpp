// End-to-end fixture for the recipient's side: `mailflow serve` on the default world, the
// ready file's hosts, ports and users, bob's Maildir on disk, and letters delivered to bob
// through mx.beta.test as another provider would send them. The POP3 and IMAP client tests
// derive from it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/e2e/lab_process.hpp"

namespace mailflow::e2e {

class MailLabTest : public ::testing::Test {
 protected:
  static constexpr const char* kMailHost = "mail.beta.test";

  void SetUp() override { lab_ = std::make_unique<LabProcess>(); }

  const nlohmann::json& host(const std::string& name) const;
  std::string address(const std::string& name = kMailHost) const { return host(name)["address"]; }
  std::string port(const std::string& service, const std::string& name = kMailHost) const {
    return std::to_string(int(host(name)["ports"][service]));
  }
  std::string ca() const { return lab_->ready()["ca_file"]; }
  std::filesystem::path maildir_of(const std::string& address) const;
  std::filesystem::path bob_maildir() const { return maildir_of("bob@beta.test"); }
  // Messages in bob's INBOX (new/ and cur/), counted on disk.
  std::size_t inbox_count() const;
  // The Maildir info ("2,FS") of bob's INBOX messages, one per message, sorted.
  std::vector<std::string> inbox_flags() const;

  // One letter for bob through the MX (body lines already dot-stuffed for DATA).
  void deliver(const std::string& subject, const std::string& body = "Hello Bob.");

  std::unique_ptr<LabProcess> lab_;
};

std::string read_file(const std::filesystem::path& p);

}  // namespace mailflow::e2e
