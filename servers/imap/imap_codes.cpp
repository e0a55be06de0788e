// The response code catalogue's lookups: see imap_codes.hpp.
#include "servers/imap/imap_codes.hpp"

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using namespace codes;

constexpr const CodeSpec* kAll[] = {
    &Alert, &BadCharset, &Capability, &Parse, &PermanentFlags, &ReadOnly, &ReadWrite, &TryCreate, &UidNext,
    &UidValidity, &Unseen, &AppendUid, &CopyUid, &UidNotSticky, &Unavailable, &AuthenticationFailed,
    &AuthorizationFailed, &Expired, &PrivacyRequired, &ContactAdmin, &NoPerm, &InUse, &ExpungeIssued,
    &Corruption, &ServerBug, &ClientBug, &Cannot, &Limit, &OverQuota, &AlreadyExists, &NonExistent, &TooBig,
    &Closed,
};

}  // namespace

std::string format_code(const CodeSpec& spec, std::string_view argument) {
  std::string out = "[";
  out += spec.atom;
  if (!argument.empty()) {
    out += ' ';
    out += argument;
  }
  out += ']';
  return out;
}

std::span<const CodeSpec* const> all_codes() { return kAll; }

const CodeSpec* find_code(std::string_view atom) {
  for (const auto* spec : kAll) {
    if (sim::ascii_iequals(spec->atom, atom)) return spec;
  }
  return nullptr;
}

}  // namespace mailflow::imap
