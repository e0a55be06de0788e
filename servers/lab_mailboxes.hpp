// What the lab's POP3 and IMAP servers need from the lab: logins and the users' Maildirs.
// Logins are checked by LabMail::authenticate, the same check the SMTP submission servers
// use, so a password works (or fails) the same everywhere; every server opens the same
// Mailbox object of a user (MaildirStore keeps one per address), so a message deleted over
// POP3 is gone from IMAP and a flag set by one device shows on the other.
#pragma once

#include "servers/imap/imap_server.hpp"
#include "servers/lab_mail.hpp"
#include "servers/pop3/pop3_server.hpp"
#include "sim/maildir_store.hpp"
#include "sim/world.hpp"

namespace mailflow {

class LabMailboxes : public pop3::Pop3Services, public imap::ImapServices {
 public:
  LabMailboxes(const sim::World& world, sim::MaildirStore& store, LabMail& mail)
      : world_(world), store_(store), mail_(mail) {}

  const sim::User* authenticate(const std::string& login, const std::string& password) override;
  const sim::User* find_user(const std::string& login) override;
  std::shared_ptr<sim::Mailbox> mailbox(const sim::User& user) override;
  std::shared_ptr<sim::Mailbox> mailbox_of(const sim::User& user) override { return mailbox(user); }

 private:
  const sim::World& world_;
  sim::MaildirStore& store_;
  LabMail& mail_;
};

}  // namespace mailflow
