// The durable outbound queue (see mail_queue.hpp for the layout and the crash rules).
// File operations come from maildir_io.hpp; this file decides their order.
#include "sim/mail_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/event.hpp"
#include "sim/maildir_io.hpp"

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::system_clock;

constexpr int kEnvelopeVersion = 1;
constexpr std::string_view kEnvelopeSuffix = ".json";
constexpr std::string_view kTemporaryMarker = ".tmp.";  // replace_file_atomically's names
constexpr int kMaxIdAttempts = 16;

// RFC 3339 with nanoseconds: format_event_time stops at microseconds (enough for a
// trace), but the queue must reload exactly what it stored.
std::string format_exact_time(system_clock::time_point t) {
  std::string text = format_event_time(t);
  const auto below_micro = std::chrono::duration_cast<std::chrono::nanoseconds>(
      t - std::chrono::floor<std::chrono::microseconds>(t));
  text.insert(text.size() - 1, fmt::format("{:03}", below_micro.count()));
  return text;
}

RecipientState recipient_state_from_name(const std::string& name) {
  if (name == "pending") return RecipientState::Pending;
  if (name == "delivered") return RecipientState::Delivered;
  if (name == "failed") return RecipientState::Failed;
  throw std::invalid_argument("unknown recipient state \"" + name + "\"");
}

std::string envelope_text(const QueueEntry& entry) {
  json recipients = json::array();
  for (const auto& r : entry.recipients) {
    recipients.push_back({{"address", r.address},
                          {"state", recipient_state_name(r.state)},
                          {"last_reply", r.last_reply},
                          {"remote_mta", r.remote_mta},
                          {"attempts", r.attempts}});
  }
  const json envelope = {{"version", kEnvelopeVersion},
                         {"id", entry.id},
                         {"journey", entry.journey},
                         {"sender", entry.sender},
                         {"received_from", entry.received_from},
                         {"arrival", format_exact_time(entry.arrival)},
                         {"next_attempt", format_exact_time(entry.next_attempt)},
                         {"attempts", entry.attempts},
                         {"size", entry.size},
                         {"recipients", std::move(recipients)}};
  // replace: a remote server's reply can hold any bytes, and a strict dump would throw.
  return envelope.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

// The readers below throw std::invalid_argument or nlohmann::json::exception for anything
// that is not a version-1 envelope; parse_envelope turns both into "corrupt".
const std::string& get_string(const json& j, const char* key) {
  const json& value = j.at(key);
  if (!value.is_string()) throw std::invalid_argument(fmt::format("\"{}\" is not a string", key));
  return value.get_ref<const std::string&>();
}

int get_count(const json& j, const char* key) {
  const json& value = j.at(key);
  // Integers only: a float such as 1e300 would be undefined behaviour when cast to int.
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > std::numeric_limits<int>::max()) {
    throw std::invalid_argument(fmt::format("\"{}\" is not a count", key));
  }
  return static_cast<int>(value.get<std::int64_t>());
}

system_clock::time_point get_time(const json& j, const char* key) {
  const auto parsed = parse_event_time(get_string(j, key));
  if (!parsed) throw std::invalid_argument(fmt::format("\"{}\" is not an RFC 3339 time", key));
  return *parsed;
}

QueueEntry parse_envelope(std::string_view text) {
  const json j = json::parse(text);
  if (!j.is_object()) throw std::invalid_argument("not a JSON object");
  if (!j.at("version").is_number_integer() || j.at("version").get<std::int64_t>() != kEnvelopeVersion) {
    throw std::invalid_argument("unsupported envelope version");
  }
  QueueEntry entry;
  entry.id = get_string(j, "id");
  entry.journey = get_string(j, "journey");
  entry.sender = get_string(j, "sender");
  entry.received_from = get_string(j, "received_from");
  entry.arrival = get_time(j, "arrival");
  entry.next_attempt = get_time(j, "next_attempt");
  entry.attempts = get_count(j, "attempts");
  const json& size = j.at("size");
  if (!size.is_number_unsigned()) throw std::invalid_argument("\"size\" is not a byte count");
  entry.size = size.get<std::uint64_t>();
  const json& recipients = j.at("recipients");
  if (!recipients.is_array() || recipients.empty()) throw std::invalid_argument("no recipients");
  for (const json& r : recipients) {
    QueuedRecipient recipient;
    recipient.address = get_string(r, "address");
    recipient.state = recipient_state_from_name(get_string(r, "state"));
    recipient.last_reply = get_string(r, "last_reply");
    recipient.remote_mta = get_string(r, "remote_mta");
    recipient.attempts = get_count(r, "attempts");
    entry.recipients.push_back(std::move(recipient));
  }
  return entry;
}

StoreResult io_error(std::string error) { return {StoreStatus::IoError, std::move(error)}; }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view recipient_state_name(RecipientState s) {
  switch (s) {
    case RecipientState::Pending: return "pending";
    case RecipientState::Delivered: return "delivered";
    case RecipientState::Failed: return "failed";
  }
  return "pending";
}

bool is_valid_queue_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

MailQueue::MailQueue(fs::path dir)
    : dir_(std::move(dir)),
      messages_dir_(dir_ / "msg"),
      envelopes_dir_(dir_ / "env"),
      corrupt_dir_(dir_ / "corrupt") {
  fs::create_directories(messages_dir_);
  fs::create_directories(envelopes_dir_);
  fs::create_directories(corrupt_dir_);
}

fs::path MailQueue::message_path(const std::string& id) const { return messages_dir_ / id; }

fs::path MailQueue::envelope_path(const std::string& id) const {
  return envelopes_dir_ / (id + std::string(kEnvelopeSuffix));
}

std::string MailQueue::next_id(system_clock::time_point arrival) {
  std::lock_guard lock(id_mutex_);
  // Time and sequence make ids sort by arrival and read well in a trace; the random tail
  // keeps a restarted process (sequence back at 1) from reusing an id in the same
  // second. A collision that still happens is caught by O_EXCL and retried.
  thread_local std::mt19937 random{std::random_device{}()};
  const auto seconds = std::chrono::floor<std::chrono::seconds>(arrival);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{seconds - day};
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:06}-{:04x}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(), ++sequence_ % 1'000'000,
                     random() & 0xffffu);
}

StoreValue<QueueEntry> MailQueue::enqueue(std::string sender, std::vector<std::string> recipients,
                                          std::string_view message, system_clock::time_point arrival,
                                          std::string journey, std::string received_from) {
  if (recipients.empty()) throw std::invalid_argument("MailQueue::enqueue needs at least one recipient");
  StoreValue<QueueEntry> out;
  QueueEntry& entry = out.value;
  entry.sender = std::move(sender);
  for (auto& address : recipients) entry.recipients.push_back({std::move(address)});
  entry.arrival = arrival;
  entry.next_attempt = arrival;
  entry.received_from = std::move(received_from);
  entry.size = message.size();

  std::shared_lock lock(mutex_);
  maildir::IoResult written{"no free queue id"};
  for (int attempt = 0; attempt < kMaxIdAttempts; ++attempt) {
    entry.id = next_id(arrival);
    written = maildir::write_new_file_durably(message_path(entry.id), message, std::nullopt);
    // Only a taken name is worth another id; write_new_file_durably never leaves a file
    // of its own behind, so an existing path is someone else's.
    std::error_code ec;
    if (written.ok() || !fs::exists(message_path(entry.id), ec)) break;
  }
  if (!written.ok()) {
    static_cast<StoreResult&>(out) = io_error(written.error);
    return out;
  }
  entry.journey = journey.empty() ? entry.id : std::move(journey);

  // The message's name must be durable before the envelope (the commit record) is.
  maildir::IoResult committed = sync_.wait(sync_.enlist({messages_dir_}));
  if (committed.ok()) {
    committed = maildir::replace_file_atomically(envelope_path(entry.id), envelope_text(entry), maildir::FsyncBy::Caller);
  }
  if (committed.ok()) committed = sync_.wait(sync_.enlist({envelopes_dir_}));
  if (!committed.ok()) {
    // Not queued: take the message back so that nothing of it remains (RELIABILITY.md
    // invariant 4: a message answered 4xx appears nowhere).
    ::unlink(envelope_path(entry.id).c_str());
    ::unlink(message_path(entry.id).c_str());
    static_cast<StoreResult&>(out) = io_error(committed.error);
  }
  return out;
}

void MailQueue::move_aside_locked(const fs::path& file, QueueLoadReport& report) {
  std::error_code ec;
  fs::path target = corrupt_dir_ / file.filename();
  for (int n = 1; fs::exists(target, ec); ++n) target = corrupt_dir_ / fmt::format("{}.{}", file.filename().string(), n);
  fs::rename(file, target, ec);
  if (ec) {
    report.problems.push_back(fmt::format("cannot move {} aside: {}", file.string(), ec.message()));
    // A file we can neither read nor move would be reported at every load; delete it.
    fs::remove(file, ec);
  }
}

std::vector<QueueEntry> MailQueue::load(QueueLoadReport* report_out) {
  QueueLoadReport report;
  std::vector<QueueEntry> entries;
  std::lock_guard lock(mutex_);
  try {
    entries = load_locked(report);
  } catch (const fs::filesystem_error& e) {
    // A directory that fails mid-listing: report it and return no entries rather than
    // die on a bad disk. Nothing is lost: the files stay, and the next load() retries.
    report.problems.push_back(fmt::format("load {}: {}", dir_.string(), e.what()));
  }
  if (report_out) *report_out = std::move(report);
  return entries;
}

std::vector<QueueEntry> MailQueue::load_locked(QueueLoadReport& report) {
  std::vector<QueueEntry> entries;

  std::error_code ec;
  std::vector<fs::path> envelope_files;
  for (const auto& item : fs::directory_iterator(envelopes_dir_, ec)) envelope_files.push_back(item.path());
  if (ec) report.problems.push_back(fmt::format("list {}: {}", envelopes_dir_.string(), ec.message()));
  std::sort(envelope_files.begin(), envelope_files.end());

  std::vector<std::string> committed_ids;
  for (const fs::path& file : envelope_files) {
    const std::string name = file.filename().string();
    if (name.find(kTemporaryMarker) != std::string::npos) {
      // An update() or enqueue() interrupted before its rename: the old envelope (or none)
      // is the truth.
      fs::remove(file, ec);
      ++report.temporaries_removed;
      continue;
    }
    std::string why;
    std::optional<QueueEntry> entry;
    const std::string id = ends_with(name, kEnvelopeSuffix) ? name.substr(0, name.size() - kEnvelopeSuffix.size()) : "";
    std::string error;
    const auto text = maildir::read_small_file(file, error);
    if (!is_valid_queue_id(id)) {
      why = "not an envelope name";
    } else if (!text) {
      why = error.empty() ? "vanished" : error;
    } else {
      try {
        entry = parse_envelope(*text);
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (entry && entry->id != id) why = "id does not match the file name";
      if (entry && why.empty()) {
        const auto on_disk = fs::file_size(message_path(id), ec);
        if (ec) why = "message file missing";
        else if (on_disk != entry->size) why = fmt::format("message is {} bytes, envelope says {}", on_disk, entry->size);
      }
    }
    if (!why.empty()) {
      report.problems.push_back(fmt::format("corrupt queue envelope {}: {}", name, why));
      move_aside_locked(file, report);
      if (is_valid_queue_id(id) && fs::exists(message_path(id), ec)) move_aside_locked(message_path(id), report);
      ++report.corrupt_moved_aside;
      continue;
    }
    committed_ids.push_back(id);
    entries.push_back(std::move(*entry));
  }
  std::sort(committed_ids.begin(), committed_ids.end());

  for (const auto& item : fs::directory_iterator(messages_dir_, ec)) {
    const std::string name = item.path().filename().string();
    if (std::binary_search(committed_ids.begin(), committed_ids.end(), name)) continue;
    // Written before a crash (or a failed enqueue) and never committed: the client did
    // not get 250, so the message must not be delivered.
    std::error_code remove_ec;
    fs::remove(item.path(), remove_ec);
    if (remove_ec) report.problems.push_back(fmt::format("remove {}: {}", item.path().string(), remove_ec.message()));
    ++report.orphan_messages_removed;
  }
  if (report.orphan_messages_removed + report.corrupt_moved_aside + report.temporaries_removed > 0) {
    for (const fs::path& d : {messages_dir_, envelopes_dir_, corrupt_dir_}) {
      if (const auto synced = maildir::fsync_directory(d); !synced.ok()) report.problems.push_back(synced.error);
    }
  }

  std::sort(entries.begin(), entries.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.arrival != b.arrival ? a.arrival < b.arrival : a.id < b.id;
  });
  return entries;
}

StoreResult MailQueue::update(const QueueEntry& entry) {
  if (!is_valid_queue_id(entry.id)) return {StoreStatus::NoSuchMessage, "invalid queue id"};
  if (entry.recipients.empty()) return {StoreStatus::IoError, "an entry needs at least one recipient"};
  std::shared_lock lock(mutex_);
  std::error_code ec;
  if (!fs::exists(envelope_path(entry.id), ec)) return {StoreStatus::NoSuchMessage, "not queued: " + entry.id};
  auto written = maildir::replace_file_atomically(envelope_path(entry.id), envelope_text(entry), maildir::FsyncBy::Caller);
  if (written.ok()) written = sync_.wait(sync_.enlist({envelopes_dir_}));
  if (!written.ok()) return io_error(written.error);
  return {};
}

StoreResult MailQueue::remove(const std::string& id) {
  if (!is_valid_queue_id(id)) return {StoreStatus::NoSuchMessage, "invalid queue id"};
  std::shared_lock lock(mutex_);
  if (::unlink(envelope_path(id).c_str()) != 0) {
    if (errno == ENOENT) return {StoreStatus::NoSuchMessage, "not queued: " + id};
    return io_error(fmt::format("unlink {}: {}", envelope_path(id).string(), std::strerror(errno)));
  }
  // The entry is gone once env/ is synced; the message file is only garbage after that.
  if (auto synced = sync_.wait(sync_.enlist({envelopes_dir_})); !synced.ok()) return io_error(synced.error);
  if (::unlink(message_path(id).c_str()) != 0 && errno != ENOENT) {
    return io_error(fmt::format("unlink {}: {}", message_path(id).string(), std::strerror(errno)));
  }
  if (auto synced = sync_.wait(sync_.enlist({messages_dir_})); !synced.ok()) return io_error(synced.error);
  return {};
}

StoreValue<std::string> MailQueue::read_message(const std::string& id) const {
  StoreValue<std::string> out;
  if (!is_valid_queue_id(id)) {
    static_cast<StoreResult&>(out) = {StoreStatus::NoSuchMessage, "invalid queue id"};
    return out;
  }
  std::shared_lock lock(mutex_);
  std::error_code ec;
  if (!fs::exists(envelope_path(id), ec)) {
    static_cast<StoreResult&>(out) = {StoreStatus::NoSuchMessage, "not queued: " + id};
    return out;
  }
  std::string error;
  auto bytes = maildir::read_small_file(message_path(id), error);
  if (!bytes) {
    static_cast<StoreResult&>(out) = error.empty() ? StoreResult{StoreStatus::NoSuchMessage, "message file missing: " + id}
                                                   : io_error(error);
    return out;
  }
  out.value = std::move(*bytes);
  return out;
}

std::size_t MailQueue::size() const {
  std::shared_lock lock(mutex_);
  std::size_t count = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(envelopes_dir_, ec)) {
    const std::string name = item.path().filename().string();
    if (ends_with(name, kEnvelopeSuffix) && name.find(kTemporaryMarker) == std::string::npos) ++count;
  }
  return count;
}

}  // namespace mailflow::sim
