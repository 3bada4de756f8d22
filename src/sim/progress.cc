#include "src/sim/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace xpusim::sim {

Progress::Progress(bool enabled, size_t kernels)
    : enabled_(enabled && isatty(STDERR_FILENO)), kernels_(kernels), start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::begin_kernel(size_t index, const std::string& name) {
  index_ = index;
  name_ = name;
}

void Progress::update(uint64_t cycles) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  fmt::print(stderr, "\r[{}/{}] {}: {} cycles simulated, {:.1f} s   ", index_ + 1, kernels_, name_, cycles, secs);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) fmt::print(stderr, "\r\033[K");
}

}  // namespace xpusim::sim
