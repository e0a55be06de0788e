// The in-process lab (tests/support/in_process_lab.hpp) for tests that switch the lab's
// faults and watch the real servers answer; every event the bus carries is kept for the
// test to look at.
#pragma once

#include <gtest/gtest.h>

#include <mutex>

#include "servers/lab.hpp"
#include "tests/support/in_process_lab.hpp"

namespace mailflow::testing_support {

class FaultLab : public InProcessLab {
 public:
  FaultLab() : InProcessLab("fault_lab") {
    subscription_ = lab().bus().subscribe([this](const sim::Event& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
  }
  ~FaultLab() {
    lab().bus().flush();
    lab().bus().unsubscribe(subscription_);
  }

  sim::FaultSet& faults() { return lab().faults(); }

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

  std::string address(const std::string& host) { return lab().served_world().find_host(host)->address; }
  int port(const std::string& host, sim::Service service) const { return endpoint(host, service).port(); }

  // The Fault events seen so far whose line contains `text`.
  std::size_t fault_events(const std::string& text) { return events(sim::EventKind::Fault, text); }
  // The events of `kind` seen so far whose line contains `text`.
  std::size_t events(sim::EventKind kind, const std::string& text) {
    lab().bus().flush();
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind && e.line.find(text) != std::string::npos;
    return n;
  }

 private:
  std::mutex mutex_;
  std::vector<sim::Event> events_;
  sim::EventBus::SubscriptionId subscription_{};
};

}  // namespace mailflow::testing_support
