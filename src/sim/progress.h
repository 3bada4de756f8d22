// A progress line on stderr for long runs on a terminal: kernel, simulated cycles, host
// time. Silent unless enabled, stderr is a TTY and the run has lasted more than a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace xpusim::sim {

class Progress {
 public:
  Progress(bool enabled, size_t kernels);
  void begin_kernel(size_t index, const std::string& name);
  void update(uint64_t cycles);
  void finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  size_t kernels_;
  size_t index_ = 0;
  std::string name_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace xpusim::sim
