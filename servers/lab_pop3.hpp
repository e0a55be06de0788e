// What the lab's POP3 servers need from the lab: the Pop3Services over the world's users
// and the Maildir store. Logins are checked by LabMail::authenticate, the same check the
// SMTP submission servers use, so a password works (or fails) the same everywhere.
#pragma once

#include "servers/lab_mail.hpp"
#include "servers/pop3/pop3_server.hpp"
#include "sim/maildir_store.hpp"
#include "sim/world.hpp"

namespace mailflow {

class LabPop3 : public pop3::Pop3Services {
 public:
  LabPop3(const sim::World& world, sim::MaildirStore& store, LabMail& mail) : world_(world), store_(store), mail_(mail) {}

  const sim::User* authenticate(const std::string& login, const std::string& password) override;
  const sim::User* find_user(const std::string& login) override;
  std::shared_ptr<sim::Mailbox> mailbox(const sim::User& user) override;

 private:
  const sim::World& world_;
  sim::MaildirStore& store_;
  LabMail& mail_;
};

}  // namespace mailflow
