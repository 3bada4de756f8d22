// A trace in either format, ready for replay or inspection: an Accel-Sim kernelslist.g (and the
// .traceg files it names) or a file of our binary format (proto/trace.proto), told apart by the
// binary format's magic number. Both are checked whole before anything is simulated, and both
// give the same list entries and scanned kernels, so replay and trace-info treat them alike.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "src/trace/trace_reader.h"

namespace xpusim::trace {

struct TraceSet {
  std::string path;
  bool binary = false;
  std::vector<ListEntry> list;      // memory copies and kernels, in order
  std::deque<KernelTrace> kernels;  // one per kernel entry of `list`, in the same order
};

// Reads and checks a whole trace (InputErrors at file:line, or file:record for our format).
TraceSet load_trace(const std::string& path);

// Reads and checks a file of our binary format (streamed once, like scan_kernel).
TraceSet scan_binary(const std::string& path);

}  // namespace xpusim::trace
