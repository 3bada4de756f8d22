// The control-bit pass (docs/isa.md "How the assembler fills control bits").
//
// 1. Fixed-latency results (latency <= 15) are covered by stall counts: instructions are
//    placed on a timeline (issue cycle = previous issue + previous stall); a consumer that
//    would issue before its producer's result is ready raises the stall of the instruction
//    just before it. Every basic block ends with a stall long enough for all its pending
//    fixed-latency results, so blocks start clean.
// 2. Variable-latency instructions (memory, MUFU, conversions, S2R, SHFL) and any unit
//    slower than 15 cycles get dependence counters: a write counter when they write
//    registers, a read counter when they read registers. A consumer (RAW/WAW) or an
//    overwriter (WAR) waits on the counters. Counter state flows across blocks (union at
//    joins, iterated to a fixpoint), so loops are handled.
// 3. A counter incremented by the previous instruction becomes visible one cycle after its
//    issue, so that instruction gets a stall of at least 2.
#include "src/isa/ctrl_pass.h"

#include <algorithm>
#include <array>
#include <vector>

namespace xpusim::isa {
namespace {

constexpr int kNumSlots = 256 + 8;  // R0..R254 (+RZ slot unused), then P0..P7

struct State {
  std::array<uint8_t, kNumSlots> raw{};  // counters a pending write of the slot may be on
  std::array<uint8_t, kNumSlots> war{};  // counters pending reads of the slot are on
  bool operator==(const State& o) const { return raw == o.raw && war == o.war; }
  void join(const State& o) {
    for (int i = 0; i < kNumSlots; ++i) raw[i] |= o.raw[i], war[i] |= o.war[i];
  }
  void clear_counters(uint8_t mask) {
    for (int i = 0; i < kNumSlots; ++i) raw[i] &= ~mask, war[i] &= ~mask;
  }
  uint8_t used() const {
    uint8_t u = 0;
    for (int i = 0; i < kNumSlots; ++i) u |= raw[i] | war[i];
    return u;
  }
};

template <typename F>
void for_each_read(const Inst& in, F f) {
  for (int i = 0; i < in.nreads; ++i)
    for (int r = 0; r < in.reads[i].count; ++r) f(in.reads[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_reads & (1 << p)) f(256 + p);
}

template <typename F>
void for_each_write(const Inst& in, F f) {
  for (int i = 0; i < in.nwrites; ++i)
    for (int r = 0; r < in.writes[i].count; ++r) f(in.writes[i].reg + r);
  for (int p = 0; p < 7; ++p)
    if (in.pred_writes & (1 << p)) f(256 + p);
}

bool ends_block(const Inst& in) { return in.op == Op::BRA || in.op == Op::EXIT; }

class Pass {
 public:
  Pass(Kernel& k, const LatencyTable& lat) : k_(k), lat_(lat), n_(k.code.size()) {}
  void run();

 private:
  bool variable(const Inst& in) const { return !in.fixed_latency || lat_.of(in.unit) > 15; }
  void find_blocks();
  State walk_block(size_t b, State s, bool final);
  uint8_t pick_counter(const State& s);

  Kernel& k_;
  const LatencyTable& lat_;
  size_t n_;
  std::vector<size_t> start_;                 // block start pcs
  std::vector<std::vector<size_t>> succ_;     // successor blocks
  std::vector<size_t> block_of_;              // pc -> block
  std::vector<int8_t> wbar_, rbar_;           // assigned counters (-1 none, -2 not yet)
  uint8_t next_rr_ = 0;
};

void Pass::find_blocks() {
  std::vector<bool> leader(n_ + 1, false);
  leader[0] = true;
  for (size_t pc = 0; pc < n_; ++pc) {
    const Inst& in = k_.code[pc];
    if (in.op == Op::BRA) leader[static_cast<size_t>(in.src[0].imm)] = true;
    if (ends_block(in) || in.op == Op::BSSY) leader[pc + 1] = true;
    if (in.op == Op::BSSY) leader[static_cast<size_t>(in.src[1].imm)] = true;
  }
  block_of_.assign(n_, 0);
  for (size_t pc = 0; pc < n_; ++pc) {
    if (leader[pc]) start_.push_back(pc);
    block_of_[pc] = start_.size() - 1;
  }
  succ_.resize(start_.size());
  for (size_t b = 0; b < start_.size(); ++b) {
    const size_t end = b + 1 < start_.size() ? start_[b + 1] : n_;
    const Inst& last = k_.code[end - 1];
    const bool uncond = last.guard == kPT && !last.guard_not;
    if (last.op == Op::BRA) succ_[b].push_back(block_of_[static_cast<size_t>(last.src[0].imm)]);
    const bool falls = !(uncond && (last.op == Op::BRA || last.op == Op::EXIT));
    if (falls && end < n_) succ_[b].push_back(b + 1);
  }
}

uint8_t Pass::pick_counter(const State& s) {
  const uint8_t used = s.used();
  for (uint8_t i = 0; i < kNumDepCounters; ++i) {
    const uint8_t c = static_cast<uint8_t>((next_rr_ + i) % kNumDepCounters);
    if (!(used & (1 << c))) {
      next_rr_ = static_cast<uint8_t>((c + 1) % kNumDepCounters);
      return c;
    }
  }
  const uint8_t c = next_rr_;  // all busy: share the least recently handed out
  next_rr_ = static_cast<uint8_t>((c + 1) % kNumDepCounters);
  return c;
}

State Pass::walk_block(size_t b, State s, bool final) {
  const size_t begin = start_[b];
  const size_t end = b + 1 < start_.size() ? start_[b + 1] : n_;
  std::array<int64_t, kNumSlots> ready{};  // fixed-latency results: cycle at which ready
  int64_t t = 0;                           // issue cycle of the current instruction
  for (size_t pc = begin; pc < end; ++pc) {
    Inst& in = k_.code[pc];
    // Fixed-latency dependences: delay this instruction through the previous one's stall.
    int64_t need = t;
    auto dep = [&](int slot) { need = std::max(need, ready[slot]); };
    for_each_read(in, dep);
    for_each_write(in, dep);
    if (need > t && pc > begin) {
      Inst& prev = k_.code[pc - 1];
      prev.ctrl.stall = static_cast<uint8_t>(std::min<int64_t>(15, prev.ctrl.stall + (need - t)));
      t = need;
    }
    // Variable-latency dependences: wait on counters.
    uint8_t wait = 0;
    for_each_read(in, [&](int sl) { wait |= s.raw[sl]; });
    for_each_write(in, [&](int sl) { wait |= s.raw[sl] | s.war[sl]; });
    s.clear_counters(wait);
    if (final) {
      in.ctrl.wait = wait;
      if (pc > begin && wait) {
        Inst& prev = k_.code[pc - 1];
        const uint8_t prev_sets =
            static_cast<uint8_t>((prev.ctrl.wbar != kNoBarrier ? 1 << prev.ctrl.wbar : 0) |
                                 (prev.ctrl.rbar != kNoBarrier ? 1 << prev.ctrl.rbar : 0));
        if (wait & prev_sets) prev.ctrl.stall = std::max<uint8_t>(prev.ctrl.stall, 2);
      }
    }
    // This instruction's own effects.
    if (variable(in)) {
      bool writes = false, reads = false;
      for_each_write(in, [&](int) { writes = true; });
      for_each_read(in, [&](int) { reads = true; });
      if (wbar_[pc] == -2) wbar_[pc] = writes ? static_cast<int8_t>(pick_counter(s)) : -1;
      if (rbar_[pc] == -2) rbar_[pc] = reads ? static_cast<int8_t>(pick_counter(s)) : -1;
      if (wbar_[pc] >= 0) for_each_write(in, [&](int sl) { s.raw[sl] = static_cast<uint8_t>(1 << wbar_[pc]); });
      if (rbar_[pc] >= 0) for_each_read(in, [&](int sl) { s.war[sl] |= static_cast<uint8_t>(1 << rbar_[pc]); });
      if (final) {
        in.ctrl.wbar = wbar_[pc] >= 0 ? static_cast<uint8_t>(wbar_[pc]) : kNoBarrier;
        in.ctrl.rbar = rbar_[pc] >= 0 ? static_cast<uint8_t>(rbar_[pc]) : kNoBarrier;
      }
    } else {
      const int64_t r = t + lat_.of(in.unit);
      for_each_write(in, [&](int sl) {
        ready[sl] = r;
        s.raw[sl] = 0;
      });
    }
    t += in.ctrl.stall;
  }
  // Drain fixed-latency results before leaving the block.
  int64_t last_ready = 0;
  for (int64_t r : ready) last_ready = std::max(last_ready, r);
  Inst& last = k_.code[end - 1];
  const int64_t t_last = t - last.ctrl.stall;
  if (last_ready > t) last.ctrl.stall = static_cast<uint8_t>(std::min<int64_t>(15, last_ready - t_last));
  return s;
}

void Pass::run() {
  for (Inst& in : k_.code) {
    in.ctrl = Ctrl{};
    in.ctrl.stall = 1;
  }
  wbar_.assign(n_, -2);
  rbar_.assign(n_, -2);
  find_blocks();
  const size_t nb = start_.size();
  std::vector<State> entry(nb);
  std::vector<bool> reached(nb, false);
  reached[0] = true;
  // Fixpoint over counter state; stalls depend only on fixed latencies, so they are set
  // once in the final walk.
  std::vector<Ctrl> saved(n_);
  for (size_t i = 0; i < n_; ++i) saved[i] = k_.code[i].ctrl;
  for (int iter = 0; iter < 64; ++iter) {
    bool changed = false;
    for (size_t b = 0; b < nb; ++b) {
      if (!reached[b]) continue;
      const State out = walk_block(b, entry[b], false);
      for (size_t sb : succ_[b]) {
        State j = entry[sb];
        j.join(out);
        if (!reached[sb] || !(j == entry[sb])) changed = true, entry[sb] = j, reached[sb] = true;
      }
    }
    for (size_t i = 0; i < n_; ++i) k_.code[i].ctrl = saved[i];  // stalls are recomputed each walk
    if (!changed) break;
  }
  for (size_t b = 0; b < nb; ++b) walk_block(b, entry[b], true);
  for (Inst& in : k_.code) {
    if (in.ctrl.stall >= 12) in.ctrl.yield = true;  // long stalls carry yield, as compilers emit them
    in.ctrl.given = false;
  }
  // Reuse bits written as .reuse in the source are kept (derive_usage set them).
}

}  // namespace

void fill_control_bits(Kernel& k, const LatencyTable& lat) {
  // Keep the reuse flags that came from operand suffixes.
  std::vector<uint8_t> reuse(k.code.size());
  for (size_t i = 0; i < k.code.size(); ++i) reuse[i] = k.code[i].ctrl.reuse;
  Pass(k, lat).run();
  for (size_t i = 0; i < k.code.size(); ++i) k.code[i].ctrl.reuse = reuse[i];
}

}  // namespace xpusim::isa
