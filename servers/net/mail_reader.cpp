// Names, the one-line summary and the progress of the simulated readers' results: see
// mail_reader.hpp.
#include "servers/net/mail_reader.hpp"

#include <fmt/format.h>

namespace mailflow::net {

std::string_view reader_outcome_name(ReaderOutcome outcome) {
  switch (outcome) {
    case ReaderOutcome::Fetched: return "fetched";
    case ReaderOutcome::Refused: return "refused";
    case ReaderOutcome::ConnectFailed: return "connect-failed";
    case ReaderOutcome::Timeout: return "timeout";
    case ReaderOutcome::TlsFailed: return "tls-failed";
    case ReaderOutcome::ProtocolError: return "protocol-error";
  }
  return "?";
}

std::string_view reader_stage_name(ReaderStage stage) {
  switch (stage) {
    case ReaderStage::Connect: return "connect";
    case ReaderStage::Greeting: return "greeting";
    case ReaderStage::StartTls: return "starttls";
    case ReaderStage::Login: return "login";
    case ReaderStage::Mailbox: return "mailbox";
    case ReaderStage::Download: return "download";
    case ReaderStage::Delete: return "delete";
    case ReaderStage::Logout: return "logout";
  }
  return "?";
}

std::string describe(const ReaderResult& result) {
  if (result.ok()) return fmt::format("fetched {} message(s)", result.messages.size());
  std::string text = fmt::format("{} at {}", reader_outcome_name(result.outcome), reader_stage_name(result.stage));
  if (!result.error.empty()) text += ": " + result.error;
  return text;
}

void ReaderProgress::conclude(ReaderOutcome outcome, std::string reply, std::string error) {
  if (decided_) return;
  decided_ = true;
  result_.outcome = outcome;
  result_.reply = std::move(reply);
  result_.error = std::move(error);
}

void ReaderProgress::refuse(const std::string& line, std::string_view why) {
  conclude(ReaderOutcome::Refused, line, fmt::format("{}: {}", why, line));
}

}  // namespace mailflow::net
