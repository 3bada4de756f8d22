// `xpusim trace-convert IN OUT`: Accel-Sim NVBit traces (kernelslist.g + .traceg) to our binary
// format (proto/trace.proto) and back, without loss: every header field, thread block, warp,
// instruction, mask, register, address (in the address format it was written in), immediate and
// source line survives a round trip (docs/traces.md "Our binary format").
//
// The input is read whole and checked before anything is written (bad input: InputErrors, exit
// 2, naming file:line or file:record); both directions stream with bounded memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xpusim::trace {

struct ConvertResult {
  bool to_binary = false;
  uint64_t kernels = 0, copies = 0, instructions = 0;
  uint64_t in_bytes = 0, out_bytes = 0;
  std::vector<std::string> outputs;  // files written
};

// The direction follows the input: a file of ours becomes OUT/kernelslist.g + OUT/<kernel>.traceg
// (OUT a directory, created if needed, holding no kernelslist.g yet); anything else is read as a
// kernelslist.g and becomes the binary file OUT.
ConvertResult convert(const std::string& in, const std::string& out);

// The one-line summary `xpusim trace-convert` prints.
std::string convert_summary(const ConvertResult& r, const std::string& in, const std::string& out);

}  // namespace xpusim::trace
