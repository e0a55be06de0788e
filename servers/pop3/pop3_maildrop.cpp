// The session's maildrop snapshot and the maildrop locks: see pop3_maildrop.hpp.
#include "servers/pop3/pop3_maildrop.hpp"

namespace mailflow::pop3 {

Maildrop::Found Maildrop::find(std::uint64_t number) {
  if (number == 0 || number > messages_.size()) return {};
  DropMessage& m = messages_[number - 1];
  if (m.deleted) return {Lookup::Deleted, &m};
  return {Lookup::Found, &m};
}

std::size_t Maildrop::count() const {
  std::size_t n = 0;
  for (const auto& m : messages_) n += m.deleted ? 0 : 1;
  return n;
}

std::uint64_t Maildrop::octets() const {
  std::uint64_t n = 0;
  for (const auto& m : messages_) n += m.deleted ? 0 : m.size;
  return n;
}

void Maildrop::undelete_all() {
  for (auto& m : messages_) m.deleted = false;
}

MaildropLocks::MaildropLocks() : state_(std::make_shared<Lease::State>()) {}

MaildropLocks::Lease::Lease(std::shared_ptr<State> state, std::string address)
    : state_(std::move(state)), address_(std::move(address)) {}

MaildropLocks::Lease& MaildropLocks::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    address_ = std::move(other.address_);
  }
  return *this;
}

MaildropLocks::Lease::~Lease() { release(); }

void MaildropLocks::Lease::release() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->held.erase(address_);
  state_.reset();
}

MaildropLocks::Lease MaildropLocks::try_lock(const std::string& address) {
  std::lock_guard lock(state_->mutex);
  if (!state_->held.insert(address).second) return {};
  return Lease(state_, address);
}

bool MaildropLocks::locked(const std::string& address) const {
  std::lock_guard lock(state_->mutex);
  return state_->held.count(address) != 0;
}

std::optional<std::chrono::seconds> MaildropLocks::login_delay_left(const std::string& address,
                                                                    std::chrono::seconds delay,
                                                                    std::chrono::steady_clock::time_point now) const {
  if (delay.count() <= 0) return std::nullopt;
  std::lock_guard lock(state_->mutex);
  auto it = state_->last_login.find(address);
  if (it == state_->last_login.end() || now - it->second >= delay) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(delay - (now - it->second));
}

void MaildropLocks::note_login(const std::string& address, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(state_->mutex);
  state_->last_login[address] = now;
}

}  // namespace mailflow::pop3
