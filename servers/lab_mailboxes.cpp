// The lab's POP3 and IMAP services: see lab_mailboxes.hpp.
#include "servers/lab_mailboxes.hpp"

namespace mailflow {

const sim::User* LabMailboxes::authenticate(const std::string& login, const std::string& password) {
  return mail_.authenticate(login, password);
}

const sim::User* LabMailboxes::find_user(const std::string& login) { return world_.find_user_by_login(login); }

std::shared_ptr<sim::Mailbox> LabMailboxes::mailbox(const sim::User& user) {
  return store_.open(user.address, user.quota);
}

}  // namespace mailflow
