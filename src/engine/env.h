// What every component shares: statistics, the seed, the list of components (for deadlock
// dumps and the watchdog), trace hooks and the warning count.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/rng.h"
#include "src/engine/stats.h"

namespace xpusim::engine {

class Component;

class Env {
 public:
  explicit Env(uint64_t seed = 1) : seed_(seed) {}
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  uint64_t seed() const { return seed_; }
  // A seed for one named consumer, stable whatever else exists.
  uint64_t seed_for(std::string_view name) const { return seed_ ^ stable_hash(name); }

  void add_component(Component* c) { components_.push_back(c); }
  const std::vector<Component*>& components() const { return components_; }

  // An exception raised inside a SystemC process cannot cross the SystemC kernel cleanly:
  // the process parks it here and stops the simulation; the driver rethrows it.
  void fail(std::exception_ptr e) {
    if (!failure_) failure_ = e;
  }
  bool failed() const { return failure_ != nullptr; }
  void rethrow_failure() const {
    if (failure_) std::rethrow_exception(failure_);
  }

  // Warnings: counted (the count goes in the report) and printed, at most `limit` per kind.
  void warn(std::string_view kind, const std::string& message);
  uint64_t warnings() const { return warnings_; }

 private:
  Stats stats_;
  uint64_t seed_;
  std::vector<Component*> components_;
  struct WarnKind {
    std::string kind;
    uint64_t count;
  };
  std::vector<WarnKind> warn_kinds_;
  uint64_t warnings_ = 0;
  std::exception_ptr failure_;
};

}  // namespace xpusim::engine
