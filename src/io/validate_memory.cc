// Semantic checks of the crossbar and L2 (gpu.noc, gpu.l2) for the HIERARCHY memory model.
// Each error names the field as written in the config.
#include <algorithm>
#include <fmt/format.h>

#include "src/io/memory_config.h"

namespace xpusim::io {

namespace {

struct MemChecker {
  const LocationMap& where;
  ErrorList& errors;
  template <typename... A>
  void fail(const std::string& path, fmt::format_string<A...> f, A&&... a) {
    errors.add(where.find(path), path + ": " + fmt::format(f, std::forward<A>(a)...));
  }
  void required(const std::string& path, bool has, uint64_t v, uint64_t lo) {
    if (!has) return fail(path, "required by gpu.memory_model HIERARCHY (no default: state it with its source)");
    if (v < lo) fail(path, "must be at least {}, got {}", lo, v);
  }
};

}  // namespace

void validate_memory_config(const proto::GpuSpec& g, const LocationMap& where, ErrorList& errors) {
  if (g.memory_model() != proto::HIERARCHY) return;
  MemChecker c{where, errors};
  const proto::NocSpec& noc = g.noc();
  const proto::L2Spec& l2 = g.l2();
  c.required("gpu.noc.latency_cycles", noc.has_latency_cycles(), noc.latency_cycles(), 1);
  c.required("gpu.noc.bytes_per_cycle", noc.has_bytes_per_cycle(), noc.bytes_per_cycle(), 1);
  c.required("gpu.noc.queue", true, noc.queue(), 1);
  if (l2.partitions() > 1)
    c.required("gpu.noc.far_latency_cycles", noc.has_far_latency_cycles(), noc.far_latency_cycles(), 0);
  c.required("gpu.l2.slices", l2.has_slices(), l2.slices(), 1);
  c.required("gpu.l2.partitions", true, l2.partitions(), 1);
  c.required("gpu.l2.hit_latency_cycles", l2.has_hit_latency_cycles(), l2.hit_latency_cycles(), 1);
  c.required("gpu.l2.ways", true, l2.ways(), 1);
  c.required("gpu.l2.mshrs", true, l2.mshrs(), 1);
  c.required("gpu.l2.mshr_merges", true, l2.mshr_merges(), 1);
  c.required("gpu.l2.queue", true, l2.queue(), 1);
  c.required("gpu.l2.atomic_cycles", true, l2.atomic_cycles(), 1);
  if (l2.has_access_latency_cycles()) c.required("gpu.l2.access_latency_cycles", true, l2.access_latency_cycles(), 1);
  if (!l2.has_capacity_mb() || !(l2.capacity_mb() > 0))
    c.fail("gpu.l2.capacity_mb", "must be a positive size in MB{}",
           l2.has_capacity_mb() ? fmt::format(", got {}", l2.capacity_mb()) : " (required by gpu.memory_model HIERARCHY)");
  // The request and response messages carry a 128-byte line with an 8-bit mask of 32-byte sectors.
  if (l2.line_bytes() != 128) c.fail("gpu.l2.line_bytes", "must be 128 (the line of the memory messages), got {}", l2.line_bytes());
  if (l2.sector_bytes() != 32) c.fail("gpu.l2.sector_bytes", "must be 32 (the sector of the memory messages), got {}", l2.sector_bytes());
  if (l2.write_policy() != proto::WRITE_BACK)
    c.fail("gpu.l2.write_policy", "the L2 model is write-back write-allocate: only WRITE_BACK, got {}",
           proto::WritePolicy_Name(l2.write_policy()));
  if (l2.slices() && l2.partitions() && l2.slices() % l2.partitions())
    c.fail("gpu.l2.slices", "{} slices do not split evenly into {} partitions", l2.slices(), l2.partitions());
  if (l2.slices() && l2.ways() && l2.capacity_mb() > 0) {
    const double lines = l2.capacity_mb() * 1024 * 1024 / l2.slices() / 128;
    if (lines < l2.ways())
      c.fail("gpu.l2.ways", "{} ways do not fit in a slice of {:.0f} lines ({} MB / {} slices)", l2.ways(), lines,
             l2.capacity_mb(), l2.slices());
  }
  if (l2.slices() && l2.bytes_per_cycle() < l2.slices())
    c.fail("gpu.l2.bytes_per_cycle", "{} bytes per cycle give the {} slices less than a byte each", l2.bytes_per_cycle(),
           l2.slices());
  // Each slice sits in front of one DRAM controller (one per pseudo-channel): the slices must
  // divide evenly among the controllers (models/memory/l2/slice_map.h).
  const proto::DramOrg& org = g.dram().org();
  const uint64_t controllers = uint64_t{g.dram().stacks()} * org.channels_per_stack() * std::max(1u, org.pseudo_channels());
  if (controllers && l2.slices() && l2.slices() % controllers)
    c.fail("gpu.l2.slices", "{} slices do not divide evenly among the {} DRAM controllers (stacks x channels_per_stack x "
           "pseudo_channels); each slice serves the addresses of one controller", l2.slices(), controllers);
  if (controllers && l2.partitions() > 1 && controllers % l2.partitions())
    c.fail("gpu.l2.partitions", "the {} DRAM controllers do not split evenly into {} partitions", controllers,
           l2.partitions());
}

}  // namespace xpusim::io
