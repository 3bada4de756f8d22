#include "models/memory/noc/crossbar.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace xpusim::mem {

using engine::kNever;
using engine::MemOp;
using engine::Tick;

CrossbarParams CrossbarParams::from(const proto::GpuSpec& gpu, uint32_t sms, uint32_t slices) {
  CrossbarParams p;
  const proto::NocSpec& n = gpu.noc();
  p.sms = sms;
  p.slices = slices;
  p.partitions = std::max(1u, gpu.l2().partitions());
  p.latency_cycles = std::max(1u, n.latency_cycles());
  p.far_latency_cycles = n.far_latency_cycles();
  p.bytes_per_cycle = std::max(1u, n.bytes_per_cycle());
  p.queue = std::max(1u, n.queue());
  p.header_bytes = n.header_bytes();
  p.sector_bytes = gpu.l2().has_sector_bytes() ? gpu.l2().sector_bytes() : 32;
  return p;
}

Crossbar::Crossbar(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const CrossbarParams& p,
                   const SliceRouter& router)
    : Component(name, env, clk),
      from_sm(p.sms),
      to_slice(p.slices),
      from_slice(p.slices),
      to_sm(p.sms),
      p_(p),
      router_(router) {
  SIM_CHECK(p.sms > 0 && p.slices > 0 && p.partitions > 0, "{}: empty crossbar", path());
  init_plane(req_, p.sms, p.slices, "req", "sm", "slice");
  init_plane(resp_, p.slices, p.sms, "resp", "slice", "sm");
  e_flit_ = &energy_counter("flit");
}

template <typename T>
void Crossbar::init_plane(Plane<T>& pl, size_t ins, size_t outs, const char* what, const char* in_name,
                          const char* out_name) {
  engine::Stats& s = env_.stats();
  pl.in_free.assign(ins, 0);
  pl.out_free.assign(outs, 0);
  pl.rr.assign(outs, 0);
  pl.fifo.resize(outs);
  // an output holds the messages crossing it (one per cycle of latency) plus `queue` waiting
  for (auto& f : pl.fifo) f.ring.resize(p_.queue + p_.latency_cycles);
  pl.stalled_since.assign(outs, kNever);
  pl.winner.assign(outs, kNoInput);
  pl.contested.reserve(outs);
  for (size_t i = 0; i < ins; ++i)
    pl.in_busy.push_back(&s.counter(path(), fmt::format("{}_port[{}].{}_busy_cycles", in_name, i, what)));
  for (size_t o = 0; o < outs; ++o)
    pl.out_busy.push_back(&s.counter(path(), fmt::format("{}_port[{}].{}_busy_cycles", out_name, o, what)));
  pl.flits = &s.counter(path(), fmt::format("{}_flits", what));
  pl.bytes = &s.counter(path(), fmt::format("{}_bytes", what));
  pl.messages = &s.counter(path(), fmt::format("{}_messages", what));
  pl.far = &s.counter(path(), fmt::format("{}_far", what));
  pl.stall_cycles = &s.counter(path(), fmt::format("{}_output_stall_cycles", what));
}

uint32_t Crossbar::bytes(const engine::MemReq& r) const {
  const uint32_t data = r.op == MemOp::Load ? 0 : std::popcount(r.sector_mask) * p_.sector_bytes;
  return p_.header_bytes + data;
}

uint32_t Crossbar::bytes(const engine::MemResp& r) const {
  const uint32_t data = r.op == MemOp::Store ? 0 : std::popcount(r.sector_mask) * p_.sector_bytes;
  return p_.header_bytes + data;
}

namespace {
// A request leaves stamped with the crossbar port it came from: that is where its response goes.
void stamp(engine::MemReq& r, uint32_t in) { r.source = static_cast<uint16_t>(in); }
void stamp(engine::MemResp&, uint32_t) {}
}  // namespace

template <typename T>
bool Crossbar::run_plane(Plane<T>& pl, std::vector<engine::InPort<T>>& in, std::vector<engine::OutPort<T>>& out,
                         Tick t) {
  bool progress = false;
  const Tick period = clk_.period();
  // 1. Deliver what has crossed, in grant order per output.
  for (size_t o = 0; o < out.size(); ++o) {
    auto& f = pl.fifo[o];
    while (f.size && f.ring[f.head].ready <= t) {
      if (!out[o].can_send(t)) {
        if (pl.stalled_since[o] == kNever) pl.stalled_since[o] = t;
        break;
      }
      if (pl.stalled_since[o] != kNever) {
        *pl.stall_cycles += (t - pl.stalled_since[o]) / period;
        pl.stalled_since[o] = kNever;
      }
      out[o].send(t, f.ring[f.head].msg);
      f.head = (f.head + 1) % f.ring.size();
      --f.size;
      progress = true;
    }
  }
  // 2. Arbitrate: each free output takes one eligible input, the first at or after its
  // round-robin pointer. One pass over the inputs (each has one head, so it wants one output),
  // then one grant per output that has a candidate: O(inputs + outputs) per cycle.
  const size_t n_in = in.size();
  auto rank = [&](size_t i, size_t o) { return (i + n_in - pl.rr[o]) % n_in; };
  for (size_t i = 0; i < n_in; ++i) {
    if (pl.in_free[i] > t || !in[i].can_recv(t)) continue;
    const T& m = in[i].front();
    const uint32_t o = dest(m);
    SIM_CHECK(o < out.size(), "{}: message for port {} of {}", path(), o, out.size());
    if (pl.out_free[o] > t || pl.fifo[o].size == pl.fifo[o].ring.size()) continue;
    if (is_far(m, static_cast<uint32_t>(i), o) && in[i].next_ready() + p_.far_latency_cycles * period > t) continue;
    if (pl.winner[o] == kNoInput) {
      pl.winner[o] = static_cast<uint32_t>(i);
      pl.contested.push_back(o);
    } else if (rank(i, o) < rank(pl.winner[o], o)) {
      pl.winner[o] = static_cast<uint32_t>(i);
    }
  }
  for (const uint32_t o : pl.contested) {
    const uint32_t i = pl.winner[o];
    pl.winner[o] = kNoInput;
    const T& m = in[i].front();
    auto& f = pl.fifo[o];
    const uint32_t b = bytes(m);
    const uint32_t fl = p_.flits(b);
    auto& e = f.ring[(f.head + f.size++) % f.ring.size()];
    e.msg = m;
    stamp(e.msg, i);
    // sender -> crossbar and crossbar -> receiver take a cycle each (channel visibility), the
    // grant cycle is the first of the crossing: latency + flits - 1 cycles end to end
    const uint32_t cross = p_.latency_cycles + fl > 3 ? p_.latency_cycles + fl - 3 : 0;
    e.ready = t + cross * period;
    pl.in_free[i] = pl.out_free[o] = t + fl * period;
    *pl.in_busy[i] += fl;
    *pl.out_busy[o] += fl;
    *pl.flits += fl;
    *pl.bytes += b;
    ++*pl.messages;
    *e_flit_ += fl;
    if (is_far(m, i, o)) ++*pl.far;
    in[i].pop(t);
    pl.rr[o] = static_cast<uint32_t>((i + 1) % n_in);
    progress = true;
  }
  pl.contested.clear();
  return progress;
}

bool Crossbar::do_cycle(engine::Cycle now) {
  const Tick t = clk_.edge(now);
  const bool a = run_plane(req_, from_sm, to_slice, t);
  const bool b = run_plane(resp_, from_slice, to_sm, t);
  return a || b;
}

template <typename T>
Tick Crossbar::plane_next(const Plane<T>& pl, const std::vector<engine::InPort<T>>& in, Tick now) const {
  Tick best = kNever;
  for (size_t o = 0; o < pl.fifo.size(); ++o) {
    const auto& f = pl.fifo[o];
    // a ready head blocked by a full channel is woken by the channel's pop
    if (f.size && f.ring[f.head].ready > now) best = std::min(best, f.ring[f.head].ready);
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const Tick r = in[i].next_ready();
    if (r > now) continue;  // empty (kNever) or still in flight: the channel wakes us
    const T& m = in[i].front();
    const uint32_t o = dest(m);
    Tick at = std::max(pl.in_free[i], pl.out_free[o]);
    if (is_far(m, static_cast<uint32_t>(i), o)) at = std::max(at, r + p_.far_latency_cycles * clk_.period());
    if (at > now) best = std::min(best, at);
  }
  return best;
}

Tick Crossbar::next_event() const {
  const Tick now = engine::now_tick();
  return std::min(plane_next(req_, from_sm, now), plane_next(resp_, from_slice, now));
}

bool Crossbar::busy() const {
  for (const auto& f : req_.fifo)
    if (f.size) return true;
  for (const auto& f : resp_.fifo)
    if (f.size) return true;
  for (const auto& p : from_sm)
    if (p.size()) return true;
  for (const auto& p : from_slice)
    if (p.size()) return true;
  return false;
}

std::string Crossbar::describe() const {
  std::string s = path() + ":";
  for (size_t i = 0; i < from_sm.size(); ++i)
    if (from_sm[i].size()) s += fmt::format(" sm port {} holds {} requests;", i, from_sm[i].size());
  for (size_t i = 0; i < from_slice.size(); ++i)
    if (from_slice[i].size()) s += fmt::format(" slice port {} holds {} responses;", i, from_slice[i].size());
  for (size_t o = 0; o < req_.fifo.size(); ++o)
    if (req_.fifo[o].size) s += fmt::format(" {} requests crossing to slice {};", req_.fifo[o].size, o);
  for (size_t o = 0; o < resp_.fifo.size(); ++o)
    if (resp_.fifo[o].size) s += fmt::format(" {} responses crossing to sm {};", resp_.fifo[o].size, o);
  return s + "\n";
}

}  // namespace xpusim::mem
