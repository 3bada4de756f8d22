// The control-bit pass (docs/isa.md "How the assembler fills control bits").
//
// 1. Fixed-latency results are covered by stall counts. Between a producer p and a consumer
//    c the SM guarantees at least the longest chain of constraints from p to c: each
//    instruction issues at least its predecessor's stall count after it, and at least the
//    initiation interval after the previous instruction on its unit. Nothing else (a
//    counter wait, another warp) makes that distance shorter, only longer. When it is below
//    p's latency, the stalls of the instructions between them rise, the nearest first, each
//    up to 15. Every basic block ends with stalls long enough for all its pending
//    fixed-latency results, so blocks start clean.
// 2. Variable-latency instructions (memory, MUFU, conversions, S2R, SHFL) get dependence
//    counters: a write counter when they write registers, a read counter when they read
//    registers. So does a fixed-latency instruction whose latency cannot be covered by the
//    stalls in front of its first consumer (at most 15 per instruction). A consumer
//    (RAW/WAW) or an overwriter (WAR) waits on the counters. Counter state flows across
//    blocks (union at joins, iterated to a fixpoint), so loops are handled.
// 3. A counter incremented by the previous instruction becomes visible one cycle after its
//    issue, so that instruction gets a stall of at least 2.
// 4. Counters named by DEPBAR.LE SBx are reserved for LDGDEPBAR, which increments them per
//    committed LDGSTS group.
// 5. Reuse flags mark a register the next instruction reads again in the same operand slot
//    (set_reuse), as compilers set them for the register-file cache.
#include "src/isa/ctrl_pass.h"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

namespace xpusim::isa {
namespace {

constexpr int kNumSlots = kRegSlots;

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

bool ends_block(const Inst& in) { return in.op == Op::BRA || in.op == Op::EXIT; }

class Pass {
 public:
  Pass(Kernel& k, const LatencyTable& lat) : k_(k), lat_(lat), n_(k.code.size()) {}
  void run();

 private:
  bool variable(size_t pc) const { return !k_.code[pc].fixed_latency || needs_counter_[pc]; }
  void find_blocks();
  void mark_long_latency();
  void reserve_depbar_counters();
  bool raise_stalls(size_t from, size_t to, int64_t delay);
  int64_t min_distance(size_t p, size_t c, size_t end);
  void cover(size_t p, size_t c, size_t end);
  State walk_block(size_t b, State s, bool final);
  uint8_t pick_counter(const State& s);
  void set_reuse();

  Kernel& k_;
  const LatencyTable& lat_;
  size_t n_;
  std::vector<size_t> start_;                 // block start pcs
  std::vector<std::vector<size_t>> succ_;     // successor blocks
  std::vector<size_t> block_of_;              // pc -> block
  std::vector<int8_t> wbar_, rbar_;           // assigned counters (-1 none, -2 not yet)
  std::vector<bool> needs_counter_;           // fixed latency too long for stall counts
  uint8_t reserved_ = 0;                      // counters kept for LDGDEPBAR groups
  int8_t group_counter_ = -1;
  uint8_t next_rr_ = 0;
  std::vector<IssueCost> cost_;               // per instruction
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

// A fixed-latency producer whose first consumer (or the block end) is too close for stall
// counts (15 cycles per instruction in between) to cover its latency uses a counter.
void Pass::mark_long_latency() {
  needs_counter_.assign(n_, false);
  for (size_t b = 0; b < start_.size(); ++b) {
    const size_t end = b + 1 < start_.size() ? start_[b + 1] : n_;
    for (size_t p = start_[b]; p < end; ++p) {
      const Inst& in = k_.code[p];
      const int lat = static_cast<int>(cost_[p].latency);
      if (!in.fixed_latency || lat <= 15) continue;
      std::array<bool, kNumSlots> w{};
      bool writes = false;
      for_each_write(in, [&](int sl) { w[sl] = true, writes = true; });
      if (!writes) continue;
      size_t c = p + 1;
      for (; c < end; ++c) {
        bool dep = false;
        for_each_read(k_.code[c], [&](int sl) { dep |= w[sl]; });
        for_each_write(k_.code[c], [&](int sl) { dep |= w[sl]; });
        if (dep) break;
      }
      if (static_cast<int>(15 * (c - p)) < lat) needs_counter_[p] = true;
    }
  }
}

void Pass::reserve_depbar_counters() {
  for (const Inst& in : k_.code)
    if (in.op == Op::DEPBAR) reserved_ |= static_cast<uint8_t>(1 << in.src[0].reg);
  if (reserved_) group_counter_ = static_cast<int8_t>(std::countr_zero(reserved_));
}

uint8_t Pass::pick_counter(const State& s) {
  const uint8_t used = s.used() | reserved_;
  for (uint8_t i = 0; i < kNumDepCounters; ++i) {
    const uint8_t c = static_cast<uint8_t>((next_rr_ + i) % kNumDepCounters);
    if (!(used & (1 << c))) {
      next_rr_ = static_cast<uint8_t>((c + 1) % kNumDepCounters);
      return c;
    }
  }
  uint8_t c = next_rr_;  // all busy: share the least recently handed out (never a reserved one)
  while (reserved_ & (1 << c)) c = static_cast<uint8_t>((c + 1) % kNumDepCounters);
  next_rr_ = static_cast<uint8_t>((c + 1) % kNumDepCounters);
  return c;
}

// Raises the stalls of instructions from .. to-1 (nearest first, each at most 15) by `delay`
// cycles in total. Returns whether any stall rose.
bool Pass::raise_stalls(size_t from, size_t to, int64_t delay) {
  bool raised = false;
  for (size_t j = to; j > from && delay > 0; --j) {
    Inst& prev = k_.code[j - 1];
    const int64_t add = std::min<int64_t>(delay, 15 - prev.ctrl.stall);
    if (add <= 0) continue;
    prev.ctrl.stall = static_cast<uint8_t>(prev.ctrl.stall + add);
    delay -= add;
    raised = true;
  }
  return raised;
}

// The fewest cycles the SM can take from issuing p to issuing c (p < c, same block), or,
// with c the block's end, to leaving the block (the last instruction's issue plus its
// stall): the longest chain of stall counts and unit intervals among p .. c.
int64_t Pass::min_distance(size_t p, size_t c, size_t end) {
  constexpr size_t kUnits = static_cast<size_t>(Unit::kCount);
  std::array<int64_t, kUnits> unit_free;  // distance from p at which each unit takes its next instruction
  unit_free.fill(0);
  int64_t d = 0;
  for (size_t q = p;; ++q) {
    if (q > p) d += k_.code[q - 1].ctrl.stall;
    if (q == c && c == end) return d;
    const size_t u = static_cast<size_t>(k_.code[q].unit);
    d = std::max(d, unit_free[u]);
    if (q == c) return d;
    unit_free[u] = d + cost_[q].interval;
  }
}

// Makes c issue (or, with c == end, the block end come) at least p's latency after p,
// raising stalls between them.
void Pass::cover(size_t p, size_t c, size_t end) {
  const int64_t lat = cost_[p].latency;
  if (static_cast<int64_t>(c - p) >= lat) return;  // every stall is at least 1
  for (int64_t d = min_distance(p, c, end); d < lat; d = min_distance(p, c, end))
    if (!raise_stalls(p, c, lat - d)) break;  // mark_long_latency() leaves room: never happens
}

State Pass::walk_block(size_t b, State s, bool final) {
  const size_t begin = start_[b];
  const size_t end = b + 1 < start_.size() ? start_[b + 1] : n_;
  std::array<int32_t, kNumSlots> prod;  // pending fixed-latency producer of each slot, or -1
  prod.fill(-1);
  // Counters the instruction at q sets (a counter is visible one cycle after its issue).
  auto sets = [&](size_t q) -> uint8_t {
    if (k_.code[q].op == Op::LDGDEPBAR) return group_counter_ >= 0 ? static_cast<uint8_t>(1 << group_counter_) : 0;
    return static_cast<uint8_t>((wbar_[q] >= 0 ? 1 << wbar_[q] : 0) | (rbar_[q] >= 0 ? 1 << rbar_[q] : 0));
  };
  for (size_t pc = begin; pc < end; ++pc) {
    Inst& in = k_.code[pc];
    // Variable-latency dependences: wait on counters.
    uint8_t wait = 0;
    for_each_read(in, [&](int sl) { wait |= s.raw[sl]; });
    for_each_write(in, [&](int sl) { wait |= s.raw[sl] | s.war[sl]; });
    s.clear_counters(wait);
    if (final) in.ctrl.wait = wait;
    if (pc > begin && (wait & sets(pc - 1)))
      k_.code[pc - 1].ctrl.stall = std::max<uint8_t>(k_.code[pc - 1].ctrl.stall, 2);
    // Fixed-latency dependences (RAW and WAW): stalls cover each producer's latency.
    auto dep = [&](int sl) {
      if (prod[sl] >= 0) cover(static_cast<size_t>(prod[sl]), pc, end);
    };
    for_each_read(in, dep);
    for_each_write(in, dep);
    // This instruction's own effects.
    if (in.op == Op::LDGDEPBAR) {
      if (final) in.ctrl.wbar = group_counter_ >= 0 ? static_cast<uint8_t>(group_counter_) : kNoBarrier;
    } else if (variable(pc)) {
      bool writes = false, reads = false;
      for_each_write(in, [&](int) { writes = true; });
      for_each_read(in, [&](int) { reads = true; });
      if (wbar_[pc] == -2) wbar_[pc] = writes ? static_cast<int8_t>(pick_counter(s)) : -1;
      if (rbar_[pc] == -2) rbar_[pc] = reads && !in.fixed_latency ? static_cast<int8_t>(pick_counter(s)) : -1;
      for_each_write(in, [&](int sl) { prod[sl] = -1; });
      if (wbar_[pc] >= 0) for_each_write(in, [&](int sl) { s.raw[sl] = static_cast<uint8_t>(1 << wbar_[pc]); });
      if (rbar_[pc] >= 0) for_each_read(in, [&](int sl) { s.war[sl] |= static_cast<uint8_t>(1 << rbar_[pc]); });
      if (final) {
        in.ctrl.wbar = wbar_[pc] >= 0 ? static_cast<uint8_t>(wbar_[pc]) : kNoBarrier;
        in.ctrl.rbar = rbar_[pc] >= 0 ? static_cast<uint8_t>(rbar_[pc]) : kNoBarrier;
      }
    } else {
      for_each_write(in, [&](int sl) {
        prod[sl] = static_cast<int32_t>(pc);
        s.raw[sl] = 0;
      });
    }
  }
  // A counter set by the block's last instruction is visible one cycle after its issue.
  const size_t last = end - 1;
  if (sets(last)) k_.code[last].ctrl.stall = std::max<uint8_t>(k_.code[last].ctrl.stall, 2);
  // Drain fixed-latency results before leaving the block.
  for (int sl = 0; sl < kNumSlots; ++sl)
    if (prod[sl] >= 0) cover(static_cast<size_t>(prod[sl]), end, end);
  return s;
}

void Pass::run() {
  for (Inst& in : k_.code) {
    in.ctrl = Ctrl{};
    in.ctrl.stall = 1;
  }
  wbar_.assign(n_, -2);
  rbar_.assign(n_, -2);
  cost_.resize(n_);
  for (size_t i = 0; i < n_; ++i) cost_[i] = lat_.of(k_.code[i]);
  find_blocks();
  mark_long_latency();
  reserve_depbar_counters();
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
  set_reuse();
}

// Reuse flags as compilers set them: a source register operand is flagged when the next
// instruction of the block reads the same register in the same operand slot (and this
// instruction does not overwrite it), both reading
// through the register-file cache (fixed latency, not SFU or memory). fill_control_bits()
// adds the flags written as .reuse in the source.
void Pass::set_reuse() {
  auto cached = [](const Inst& in) { return in.fixed_latency && in.unit != Unit::SFU && in.unit != Unit::LSU; };
  auto slot_reg = [](const Inst& in, int slot) -> int {  // register of the slot-th register source, or -1
    int n = 0;
    for (int i = 0; i < in.nsrc; ++i) {
      if (in.src[i].kind != Opd::Reg) continue;
      if (n++ == slot) return in.src[i].reg == kRZ ? -1 : in.src[i].reg;
    }
    return -1;
  };
  for (size_t pc = 0; pc + 1 < n_; ++pc) {
    Inst& in = k_.code[pc];
    const Inst& next = k_.code[pc + 1];
    if (block_of_[pc] != block_of_[pc + 1] || !cached(in) || !cached(next)) continue;
    for (int slot = 0; slot < 4; ++slot) {
      const int r = slot_reg(in, slot);
      // not a register the instruction itself overwrites: the next one reads the new value
      if (r >= 0 && r == slot_reg(next, slot) && !((in.write_slots[static_cast<size_t>(r) >> 6] >> (r & 63)) & 1))
        in.ctrl.reuse |= static_cast<uint8_t>(1 << slot);
    }
  }
}

}  // namespace

void fill_control_bits(Kernel& k, const LatencyTable& lat) {
  // Keep the reuse flags that came from operand suffixes.
  std::vector<uint8_t> reuse(k.code.size());
  for (size_t i = 0; i < k.code.size(); ++i) reuse[i] = k.code[i].ctrl.reuse;
  Pass(k, lat).run();
  for (size_t i = 0; i < k.code.size(); ++i) k.code[i].ctrl.reuse |= reuse[i];
}

}  // namespace xpusim::isa
