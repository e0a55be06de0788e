// The lab's POP3 services: see lab_pop3.hpp.
#include "servers/lab_pop3.hpp"

namespace mailflow {

const sim::User* LabPop3::authenticate(const std::string& login, const std::string& password) {
  return mail_.authenticate(login, password);
}

const sim::User* LabPop3::find_user(const std::string& login) { return world_.find_user_by_login(login); }

std::shared_ptr<sim::Mailbox> LabPop3::mailbox(const sim::User& user) { return store_.open(user.address, user.quota); }

}  // namespace mailflow
