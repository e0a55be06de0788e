// A real lab in the test process: the default world (or one a test changes) on a port
// offset of its own, picked at random and tried again while a port is taken, serving on a
// thread until the test ends. For tests of the lab's own clients and interfaces that need
// every server up but no `mailflow serve` process.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "servers/lab.hpp"

namespace mailflow::testing_support {

class InProcessLab {
 public:
  // `prefix` names the state directory (with the test's name); `tweak` may change the
  // options and the world before the lab starts.
  explicit InProcessLab(const std::string& prefix,
                        const std::function<void(sim::World&, LabOptions&)>& tweak = {}) {
    dir_ = std::filesystem::path(testing::TempDir()) /
           (prefix + "_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::mt19937 pick(std::random_device{}());
    for (int attempt = 0; attempt < 20 && !lab_; ++attempt) {
      sim::World world = sim::default_world();
      world.port_offset = static_cast<std::uint16_t>(20000 + pick() % 40000);
      LabOptions options;
      options.state_dir = dir_;
      options.trace_file.clear();
      if (tweak) tweak(world, options);
      auto lab = std::make_unique<Lab>(world, options);
      try {
        lab->start();
        lab_ = std::move(lab);
      } catch (const LabError&) {
        // a port of this offset is taken: try another
      }
    }
    if (!lab_) throw std::runtime_error("no free port offset");
    thread_ = std::thread([this] { lab_->run(); });
  }
  ~InProcessLab() {
    lab_->stop();
    thread_.join();
  }
  InProcessLab(const InProcessLab&) = delete;
  InProcessLab& operator=(const InProcessLab&) = delete;

  Lab& lab() const { return *lab_; }
  const std::filesystem::path& state_dir() const { return dir_; }
  net::tcp::endpoint endpoint(const std::string& host, sim::Service service) const {
    const sim::World& w = lab_->served_world();
    const sim::Host* h = w.find_host(host);
    return {net::asio::ip::make_address(h->address), w.port_of(*h, service)};
  }
  std::filesystem::path ca_file() const { return lab_->ca_file(); }
  // Messages in new/ and cur/ of a beta.test user's INBOX.
  std::size_t inbox_count(const std::string& user) const {
    std::size_t n = 0;
    auto maildir = dir_ / "mail" / "beta.test" / user;
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator(maildir / sub, ec); it != std::filesystem::directory_iterator();
           ++it) {
        ++n;
      }
    }
    return n;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Lab> lab_;
  std::thread thread_;
};

}  // namespace mailflow::testing_support
