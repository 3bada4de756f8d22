// A synthetic stream through one DRAM controller: reads of whole 128-byte lines (sequential
// or uniformly random over the device) or of one random 32-byte sector per random line (a
// gather), offered as fast as the controller takes them, to measure the
// bandwidth a preset sustains against its theoretical peak (docs/models/dram.md, "Stream
// study"). Controllers are independent and the mapping spreads a stream evenly over them,
// so one controller fed its share of the stream gives the machine's efficiency.
#pragma once

#include <cstdint>
#include <string>

#include "models/memory/dram/dram.h"

namespace xpusim::mem {

enum class DramStreamPattern { Sequential, RandomLines, RandomSectors };

struct DramStreamResult {
  uint64_t lines = 0;                 // read requests completed by controller 0
  uint64_t bytes = 0;                 // bytes they moved
  uint64_t cycles = 0;                // DRAM clocks from the first request to the last response
  double peak_bytes_per_second = 0;   // whole machine
  double achieved_bytes_per_second = 0;  // whole machine: controller 0's rate x controllers
  double efficiency = 0;              // achieved / peak
  double avg_read_latency_ns = 0;     // queueing included (the queue is kept full)
  double row_hit_rate = 0;
  uint64_t refreshes = 0;
};

DramStreamResult run_dram_stream(const DramParams& p, DramStreamPattern pattern, uint64_t lines, uint64_t seed = 1);

}  // namespace xpusim::mem
