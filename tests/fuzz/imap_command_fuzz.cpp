// Fuzz target: the IMAP command side, fed as a session feeds it. The input is split into
// CRLF lines for CommandReader; when it asks for a literal the next input octets are the
// literal; each complete command goes through parse_command, and what it yields is
// checked again: sequence sets re-format to the same set, strings survive format_string
// and a second parse, SEARCH keys evaluate, mailbox names round-trip modified UTF-7,
// LIST patterns match ("*" matches any name).
// Invariants: no crash, no sanitizer report, no abort() below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "servers/imap/imap_command.hpp"
#include "servers/imap/imap_command_reader.hpp"
#include "servers/imap/imap_list.hpp"
#include "servers/imap/imap_search_eval.hpp"
#include "servers/imap/imap_string.hpp"
#include "sim/mime.hpp"

namespace {

using namespace mailflow::imap;

const std::string kMessage = "From: a@b.test\r\nSubject: s\r\nDate: 1 Dec 2026 00:00:00 +0000\r\n\r\nbody\r\n";

void check_set(const SequenceSet& set) {
  auto again = SequenceSet::parse(set.format());
  if (!again || !(*again == set)) std::abort();
}

void check_mailbox(const std::string& name) {
  auto decoded = decode_mailbox_name(name);
  if (!decoded) return;
  auto encoded = encode_mailbox_name(*decoded);
  if (!encoded || decode_mailbox_name(*encoded) != decoded) std::abort();
}

void check_login(const LoginArgs& login, const ImapLimits& limits) {
  if (login.user.find('\0') != std::string::npos || login.password.find('\0') != std::string::npos) std::abort();
  auto parsed = parse_command("t LOGIN " + format_string(login.user) + " " + format_string(login.password), limits);
  if (!parsed.command || !(std::get<LoginArgs>(parsed.command->args) == login)) std::abort();
}

void check(const Command& command, const ImapLimits& limits) {
  static const auto mime = mailflow::sim::mime::parse_message(kMessage);
  if (command.tag.empty()) std::abort();
  (void)command_name(command.name);
  if (const auto* login = std::get_if<LoginArgs>(&command.args)) check_login(*login, limits);
  if (const auto* fetch = std::get_if<FetchArgs>(&command.args)) {
    check_set(fetch->set);
    for (const auto& item : fetch->items) {
      if (item.response_name().empty()) std::abort();
      (void)item.sets_seen();
    }
  }
  if (const auto* store = std::get_if<StoreArgs>(&command.args)) check_set(store->set);
  if (const auto* copy = std::get_if<CopyArgs>(&command.args)) check_set(copy->set), check_mailbox(copy->mailbox);
  if (const auto* box = std::get_if<MailboxArgs>(&command.args)) check_mailbox(box->mailbox);
  if (const auto* search = std::get_if<SearchCriteria>(&command.args)) {
    SearchMessage message{3, 7, 5, 9, {"\\Seen"}, true, kMessage.size(), 20000, kMessage, &mime};
    (void)matches(search->key, message);
  }
  if (const auto* list = std::get_if<ListArgs>(&command.args)) {
    auto pattern = join_list_pattern(list->reference, list->pattern, '/');
    for (std::string_view name : {"INBOX", "Archive/2026/Dec", "Sent", ""}) (void)list_pattern_matches(pattern, name, '/');
    if (!list_pattern_matches("*", list->pattern, '/')) std::abort();  // "*" matches every name
  }
  if (const auto* append = std::get_if<AppendArgs>(&command.args)) {
    if (append->internal_date) (void)format_date_time(*append->internal_date);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ImapLimits limits;
  limits.line_length = 1024;
  limits.max_literal_bytes = 512;
  limits.max_append_bytes = 2048;
  limits.max_command_bytes = 4096;
  CommandReader reader(limits);
  using Kind = CommandReader::Step::Kind;
  auto next_line = [&]() {
    auto end = input.find("\r\n");
    auto line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 2);
    return line;
  };
  while (!input.empty()) {
    auto step = reader.add_line(next_line());
    while (step.kind == Kind::NeedLiteral || step.kind == Kind::NeedLine) {
      if (input.empty()) break;
      if (step.kind == Kind::NeedLine) {
        step = reader.add_line(next_line());
      } else {
        auto chunk = input.substr(0, std::min<std::size_t>(step.literal_size, 7));  // uneven chunks
        input.remove_prefix(chunk.size());
        step = reader.add_literal(chunk);
      }
    }
    if (reader.text().size() > limits.max_command_bytes + limits.max_append_bytes + 2 * limits.line_length) std::abort();
    if (step.kind == Kind::Complete) {
      auto parsed = parse_command(reader.text(), limits);
      if (parsed.command) check(*parsed.command, limits);
      else if (parsed.error.empty()) std::abort();
    }
    reader.reset();
  }
  return 0;
}
