// The default world's lab in this process, on a port offset of its own and serving on a
// thread, for tests that switch the lab's faults and watch the real servers answer; every
// event the bus carries is kept for the test to look at.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "servers/lab.hpp"

namespace mailflow::testing_support {

class FaultLab {
 public:
  FaultLab() {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("fault_lab_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::mt19937 pick(std::random_device{}());
    for (int attempt = 0; attempt < 20 && !lab_; ++attempt) {
      sim::World world = sim::default_world();
      world.port_offset = static_cast<std::uint16_t>(20000 + pick() % 40000);
      LabOptions options;
      options.state_dir = dir_;
      options.trace_file.clear();
      auto lab = std::make_unique<Lab>(world, options);
      try {
        lab->start();
        lab_ = std::move(lab);
      } catch (const LabError&) {
        // a port of this offset is taken: try another
      }
    }
    if (!lab_) throw std::runtime_error("no free port offset");
    subscription_ = lab_->bus().subscribe([this](const sim::Event& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
    thread_ = std::thread([this] { lab_->run(); });
  }
  ~FaultLab() {
    lab_->stop();
    thread_.join();
    lab_->bus().flush();
    lab_->bus().unsubscribe(subscription_);
  }

  Lab& lab() { return *lab_; }
  sim::FaultSet& faults() { return lab_->faults(); }

  // Adds a fault acting on `host`; fails the test when the lab refuses it.
  void add(const std::string& name, sim::FaultKind kind, const std::string& host, sim::TriggerSpec trigger = {},
           sim::FaultParams params = {}, const std::string& domain = {}) {
    sim::FaultSpec spec;
    spec.name = name;
    spec.kind = kind;
    spec.host = host;
    spec.domain = domain;
    spec.trigger = std::move(trigger);
    spec.params = std::move(params);
    ASSERT_EQ(faults().add(spec), "");
  }

  std::string address(const std::string& host) const { return lab_->served_world().find_host(host)->address; }
  int port(const std::string& host, sim::Service service) const {
    const sim::World& w = lab_->served_world();
    return w.port_of(*w.find_host(host), service);
  }

  std::size_t inbox_count(const std::string& user) const {
    std::size_t n = 0;
    auto maildir = dir_ / "mail" / "beta.test" / user;
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator(maildir / sub, ec); it != std::filesystem::directory_iterator(); ++it) ++n;
    }
    return n;
  }

  // The Fault events seen so far whose line contains `text`.
  std::size_t fault_events(const std::string& text) { return events(sim::EventKind::Fault, text); }
  // The events of `kind` seen so far whose line contains `text`.
  std::size_t events(sim::EventKind kind, const std::string& text) {
    lab_->bus().flush();
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind && e.line.find(text) != std::string::npos;
    return n;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Lab> lab_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<sim::Event> events_;
  sim::EventBus::SubscriptionId subscription_{};
};

}  // namespace mailflow::testing_support
