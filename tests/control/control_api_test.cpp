// The control API on a real in-process lab, driven by curl as a test suite in any
// language would: users and their folders, a message sent over SMTP listed, fetched raw
// and deleted, the queue, faults added and switched, a journey waited for, the reset,
// the event stream, and JSON errors with the right status codes.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/in_process_lab.hpp"

namespace mailflow::control {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct CurlResult {
  int status = 0;  // the HTTP status
  std::string body;
};

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;) out.append(buf.data(), n);
  ::pclose(pipe);
  return out;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class ControlApi : public ::testing::Test {
 protected:
  ControlApi()
      : lab_("control_api", [](sim::World&, LabOptions& options) {
          options.control_api = true;
          options.control_port = 0;  // any free port: tests run in parallel
        }) {}

  // curl METHOD PATH [BODY]: the status and the body.
  CurlResult curl(const std::string& method, const std::string& path, const std::string& body = "") {
    const fs::path out = lab_.state_dir() / "curl.out";
    std::string command = fmt::format("curl -s --max-time 20 -o {} -w '%{{http_code}}' -X {} {}", quoted(out.string()),
                                      method, quoted(lab_.lab().control_url() + path));
    if (!body.empty()) command += " -H 'Content-Type: application/json' --data-binary " + quoted(body);
    CurlResult r;
    r.status = std::atoi(run(command).c_str());
    std::ifstream in(out, std::ios::binary);
    r.body.assign(std::istreambuf_iterator<char>(in), {});
    return r;
  }
  json get_json(const std::string& path) {
    auto r = curl("GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // alice's letter to `to` through beta.test's MX, sent by curl as a foreign MTA would.
  // curl's error output: empty when the MX took the letter.
  std::string send_to_mx(const std::string& to, const std::string& subject) {
    const fs::path letter = lab_.state_dir() / "letter.eml";
    std::ofstream(letter, std::ios::binary) << "From: alice@alpha.test\r\nTo: " << to << "\r\nSubject: " << subject
                                            << "\r\n\r\nHello.\r\n";
    const auto mx = lab_.endpoint("mx.beta.test", sim::Service::Smtp);
    return run(fmt::format("curl -sS --max-time 20 smtp://{}:{} --mail-from alice@alpha.test --mail-rcpt {} -T {} 2>&1",
                           mx.address().to_string(), mx.port(), to, quoted(letter.string())));
  }

  testing_support::InProcessLab lab_;
};

TEST_F(ControlApi, ReadyDocumentNamesTheUrlAndTheIndexListsTheEndpoints) {
  EXPECT_EQ(lab_.lab().ready_document()["control_url"], lab_.lab().control_url());
  EXPECT_TRUE(lab_.lab().control_url().starts_with("http://127.0.0.1:")) << lab_.lab().control_url();
  auto index = get_json("/api");
  ASSERT_TRUE(index.contains("endpoints"));
  EXPECT_GE(index["endpoints"].size(), 15u);
}

TEST_F(ControlApi, ListsUsersWithTheirFolders) {
  auto users = get_json("/api/users");
  ASSERT_TRUE(users.is_array());
  bool bob = false;
  for (const auto& u : users) {
    if (u["address"] != "bob@beta.test") continue;
    bob = true;
    std::set<std::string> folders;
    for (const auto& f : u["folders"]) folders.insert(f["name"]);
    EXPECT_TRUE(folders.contains("INBOX") && folders.contains("Sent") && folders.contains("Trash")) << u.dump();
  }
  EXPECT_TRUE(bob) << users.dump();
}

TEST_F(ControlApi, AMessageSentOverSmtpIsListedFetchedAndDeleted) {
  send_to_mx("bob@beta.test", "Minutes");
  auto listed = get_json("/api/users/bob@beta.test/messages");
  ASSERT_EQ(listed["messages"].size(), 1u) << listed.dump();
  const auto& m = listed["messages"][0];
  EXPECT_EQ(m["subject"], "Minutes");
  EXPECT_EQ(m["from"], "alice@alpha.test");
  EXPECT_FALSE(m["journey"].get<std::string>().empty()) << m.dump();
  const int uid = m["uid"];

  auto one = get_json(fmt::format("/api/users/bob%40beta.test/messages/{}", uid));
  bool return_path = false;
  for (const auto& h : one["headers"]) return_path |= h["name"] == "Return-Path";
  EXPECT_TRUE(return_path) << one.dump();
  auto raw = curl("GET", fmt::format("/api/users/bob@beta.test/messages/{}/raw", uid));
  EXPECT_EQ(raw.status, 200);
  EXPECT_NE(raw.body.find("Subject: Minutes\r\n"), std::string::npos) << raw.body;

  EXPECT_EQ(curl("DELETE", fmt::format("/api/users/bob@beta.test/messages/{}", uid)).status, 200);
  EXPECT_EQ(get_json("/api/users/bob@beta.test/messages")["messages"].size(), 0u);
  EXPECT_EQ(lab_.inbox_count("bob"), 0u);
}

TEST_F(ControlApi, WaitsForAJourneyAndSaysWhenItDidNotArrive) {
  send_to_mx("bob@beta.test", "Wait for me");
  auto listed = get_json("/api/users/bob@beta.test/messages");
  ASSERT_EQ(listed["messages"].size(), 1u);
  const std::string journey = listed["messages"][0]["journey"];
  auto waited = get_json(fmt::format("/api/journeys/{}/wait?state=delivered&timeout=5s", journey));
  EXPECT_EQ(waited["state"], "delivered") << waited.dump();
  auto never = curl("GET", fmt::format("/api/journeys/{}/wait?state=bounced&timeout=200ms", journey));
  EXPECT_EQ(never.status, 408) << never.body;
  EXPECT_NE(never.body.find("did not reach bounced"), std::string::npos) << never.body;
  EXPECT_EQ(curl("GET", "/api/journeys/no-such-journey").status, 404);
}

TEST_F(ControlApi, FaultsAreAddedSwitchedAndRemovedWithClearErrors) {
  auto added = curl("POST", "/api/faults", R"({"name": "full", "kind": "mailbox_full", "host": "mx.beta.test"})");
  EXPECT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(curl("POST", "/api/faults", R"({"name": "full", "kind": "mailbox_full"})").status, 409);
  auto faults = get_json("/api/faults");
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]["kind"], "mailbox_full");
  EXPECT_EQ(faults[0]["enabled"], true);
  EXPECT_EQ(curl("POST", "/api/faults/full/off").status, 200);
  EXPECT_EQ(get_json("/api/faults")[0]["enabled"], false);
  EXPECT_EQ(curl("POST", "/api/faults/full/on").status, 200);
  EXPECT_EQ(curl("POST", "/api/faults/nothing/on").status, 404);

  auto unknown = curl("POST", "/api/faults", R"({"name": "x", "kind": "mailbox_ful"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown fault kind 'mailbox_ful'"), std::string::npos) << unknown.body;
  auto broken = curl("POST", "/api/faults", "{\"name\": \"x\",\n \"kind\": ");
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.body.find("request body:"), std::string::npos) << broken.body;  // with line and column

  EXPECT_EQ(curl("DELETE", "/api/faults/full").status, 200);
  EXPECT_EQ(get_json("/api/faults").size(), 0u);
}

TEST_F(ControlApi, AFaultSwitchedOnFailsTheNextTransactionWithItsCodeAndOffLetsItThrough) {
  ASSERT_EQ(curl("POST", "/api/faults", R"({"name": "gone", "kind": "unknown_user", "host": "mx.beta.test"})").status, 201);
  const std::string refused = send_to_mx("bob@beta.test", "Refused");
  EXPECT_NE(refused.find("550"), std::string::npos) << refused;
  EXPECT_EQ(lab_.inbox_count("bob"), 0u);
  ASSERT_EQ(curl("POST", "/api/faults/gone/off").status, 200);
  EXPECT_EQ(send_to_mx("bob@beta.test", "Accepted"), "");
  EXPECT_EQ(lab_.inbox_count("bob"), 1u);
}

TEST_F(ControlApi, ResetEmptiesTheMailboxesAndPutsFaultsBackAsDeclared) {
  send_to_mx("bob@beta.test", "one");
  send_to_mx("bob@beta.test", "two");
  ASSERT_EQ(curl("POST", "/api/faults", R"({"name": "later", "kind": "greylisting", "enabled": false})").status, 201);
  ASSERT_EQ(curl("POST", "/api/faults/later/on").status, 200);
  auto reset = curl("POST", "/api/reset");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(json::parse(reset.body)["messages_deleted"], 2);
  EXPECT_EQ(lab_.inbox_count("bob"), 0u);
  EXPECT_EQ(get_json("/api/faults")[0]["enabled"], false);
  EXPECT_TRUE(get_json("/api/queue").is_array());
}

TEST_F(ControlApi, TheEventStreamCarriesTheBusAsServerSentEvents) {
  const std::string url = lab_.lab().control_url() + "/api/events";
  auto stream = std::async(std::launch::async, [&] { return run("curl -s -N --max-time 3 " + quoted(url)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let curl subscribe
  send_to_mx("bob@beta.test", "Streamed");
  const std::string events = stream.get();
  EXPECT_NE(events.find(": mailflow event stream"), std::string::npos) << events;
  EXPECT_NE(events.find("event: delivered\ndata: {"), std::string::npos) << events;
  EXPECT_NE(events.find("MAIL FROM:<alice@alpha.test>"), std::string::npos) << events;
}

TEST_F(ControlApi, ErrorsAreJsonWithTheRightStatus) {
  auto missing = curl("GET", "/api/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json::parse(missing.body, nullptr, false).contains("error")) << missing.body;
  EXPECT_EQ(curl("PUT", "/api/users").status, 405);
  EXPECT_EQ(curl("GET", "/api/users/nobody@beta.test/messages").status, 404);
  EXPECT_EQ(curl("GET", "/api/users/bob@beta.test/messages/zero").status, 400);
  EXPECT_EQ(curl("GET", "/api/users/bob@beta.test/messages?folder=NoSuch").status, 404);
}

}  // namespace
}  // namespace mailflow::control
