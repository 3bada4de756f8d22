#include "models/memory/memory_report.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace xpusim::mem {

namespace {

// Counters of the hierarchy summed over the instances of each part:
// "gpu.memory.l2[7].hits" -> ("l2", "hits"); "gpu.memory.l2.latency_lt_00016" -> ("l2", ...).
class Sums {
 public:
  explicit Sums(const std::vector<std::pair<std::string, uint64_t>>& counters) {
    static constexpr std::string_view kRoot = ".memory.";
    for (const auto& [name, v] : counters) {
      const size_t at = name.find(kRoot);
      if (at == std::string::npos) {
        other_.emplace_back(name, v);
        continue;
      }
      const size_t b = at + kRoot.size();
      const size_t e = name.find_first_of("[.", b);
      if (e == std::string::npos) continue;
      size_t rest = e + 1;
      if (name[e] == '[') {
        const size_t close = name.find("].", e);
        if (close == std::string::npos) continue;
        rest = close + 2;
      }
      sums_[name.substr(b, e - b) + "." + name.substr(rest)] += v;
    }
  }
  uint64_t operator()(const std::string& part, const std::string& counter) const {
    auto it = sums_.find(part + "." + counter);
    return it == sums_.end() ? 0 : it->second;
  }
  // Sum of the counters outside the hierarchy whose name ends in "." + suffix.
  uint64_t other(std::string_view suffix) const {
    uint64_t t = 0;
    for (const auto& [n, v] : other_)
      if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          n[n.size() - suffix.size() - 1] == '.')
        t += v;
    return t;
  }
  // A histogram: counters of `part` named prefix + number; `upper`: the number is the bucket's
  // upper edge (a final "..._ge_N" bucket is open); else it is the lower edge.
  std::vector<std::pair<uint64_t, uint64_t>> histogram(const std::string& part, const std::string& prefix) const {
    std::vector<std::pair<uint64_t, uint64_t>> h;
    const std::string key = part + "." + prefix;
    for (auto it = sums_.lower_bound(key); it != sums_.end() && it->first.compare(0, key.size(), key) == 0; ++it)
      h.emplace_back(std::stoull(it->first.substr(key.size())), it->second);
    std::sort(h.begin(), h.end());
    return h;
  }

 private:
  std::map<std::string, uint64_t> sums_;
  std::vector<std::pair<std::string, uint64_t>> other_;
};

// The edge of the bucket that holds the 99th percentile: the upper edge for "lt" buckets, the
// lower edge of the next bucket for "ge" buckets (the last one's own lower edge).
double p99(const std::vector<std::pair<uint64_t, uint64_t>>& lt, const std::vector<std::pair<uint64_t, uint64_t>>& ge,
           double scale) {
  uint64_t total = 0;
  for (const auto& b : lt) total += b.second;
  for (const auto& b : ge) total += b.second;
  if (!total) return 0;
  const double want = 0.99 * static_cast<double>(total);
  double seen = 0;
  for (const auto& [edge, n] : lt) {
    seen += static_cast<double>(n);
    if (seen >= want) return static_cast<double>(edge) * scale;
  }
  for (size_t i = 0; i < ge.size(); ++i) {
    seen += static_cast<double>(ge[i].second);
    if (seen >= want) return static_cast<double>(i + 1 < ge.size() ? ge[i + 1].first : ge[i].first) * scale;
  }
  return 0;
}

void level(proto::MemoryReport* out, const char* name, uint64_t accesses, uint64_t hits, uint64_t misses,
           uint64_t read_bytes, uint64_t write_bytes, double avg, double p99_cycles) {
  proto::MemoryLevel* l = out->add_levels();
  l->set_level(name);
  l->set_accesses(accesses);
  l->set_hits(hits);
  l->set_misses(misses);
  l->set_hit_rate(hits + misses ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0);
  l->set_read_bytes(read_bytes);
  l->set_write_bytes(write_bytes);
  l->set_avg_latency_cycles(avg);
  l->set_p99_latency_cycles(p99_cycles);
}

double ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0; }

}  // namespace

void fill_memory_report(const std::vector<std::pair<std::string, uint64_t>>& counters, const MemoryReportContext& ctx,
                        proto::MemoryReport* out) {
  const Sums s(counters);
  // L1 (models/memory/l1): latency from the L1 accepting a load to its response
  level(out, "L1", s("l1", "accesses"), s("l1", "hits"), s("l1", "misses"), s("l1", "bytes_from_l2"),
        s("l1", "bytes_to_l2"), ratio(s("l1", "load_latency_cycles"), s("l1", "loads")),
        p99(s.histogram("l1", "load_latency_lt_"), s.histogram("l1", "load_latency_ge_"), 1.0));
  // L2: slice service time, lookup to response
  level(out, "L2", s("l2", "accesses"), s("l2", "hits"), s("l2", "misses"), s("l2", "dram_read_bytes"),
        s("l2", "dram_write_bytes"), ratio(s("l2", "latency_sum_cycles"), s("l2", "responses")),
        p99(s.histogram("l2", "latency_lt_"), s.histogram("l2", "latency_ge_"), 1.0));
  // DRAM: row-buffer hits among the requests served; latency in DRAM cycles, reported in core cycles
  const double to_core = ctx.dram_hz > 0 ? ctx.core_hz / ctx.dram_hz : 1;
  const uint64_t row_hits = s("dram", "row_hits");
  const uint64_t row_other = s("dram", "row_misses") + s("dram", "row_conflicts");
  const uint64_t dram_read = s("dram", "bytes_read"), dram_written = s("dram", "bytes_written");
  level(out, "DRAM", row_hits + row_other, row_hits, row_other, dram_read, dram_written,
        ratio(s("dram", "read_latency_sum_cycles"), s("dram", "read_requests")) * to_core,
        p99({}, s.histogram("dram", "read_latency_hist.ge_"), to_core));
  out->set_dram_row_hit_rate(ratio(row_hits, row_hits + row_other));
  const double bw = ctx.kernel_seconds > 0 ? static_cast<double>(dram_read + dram_written) / ctx.kernel_seconds : 0;
  out->set_dram_bandwidth_gbps(bw / 1e9);
  out->set_dram_peak_fraction(ctx.dram_peak_bytes_per_second > 0 ? bw / ctx.dram_peak_bytes_per_second : 0);
  out->set_shared_bank_conflicts(s.other("shared_bank_conflicts"));
  out->set_noc_bytes(s("noc", "req_bytes") + s("noc", "resp_bytes"));
  out->set_noc_far_fraction(ratio(s("noc", "req_far"), s("noc", "req_messages")));
  out->set_noc_stall_cycles(s("noc", "req_output_stall_cycles") + s("noc", "resp_output_stall_cycles"));
}

}  // namespace xpusim::mem
