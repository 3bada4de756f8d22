// Instruction fetch of one SM (see front_end.h for the rules).
#include "models/gpu/sm/front_end.h"

#include <algorithm>
#include <bit>

#include "src/engine/error.h"

namespace xpusim::gpu {

namespace {
constexpr uint64_t kInstBytes = 16;
// (i) mod n for i < 2n, without a division.
inline uint32_t wrap(uint32_t i, uint32_t n) { return i >= n ? i - n : i; }
// The first sub-core at or after `from` (cyclically) whose bit is set in `mask` (non-zero).
inline uint32_t round_robin(uint32_t mask, uint32_t from) {
  const uint32_t later = mask & ~((1u << from) - 1);
  return static_cast<uint32_t>(std::countr_zero(later ? later : mask));
}
// Kept out of line so that pop() needs no stack frame.
[[gnu::cold, gnu::noinline]] void empty_pop(uint16_t warp) {
  SIM_CHECK(false, "front end: pop from the empty buffer of warp {}", warp);
}
}  // namespace

// ---- tag cache ------------------------------------------------------------------------------

void FrontEnd::TagCache::init(const CacheShape& s) {
  SIM_CHECK(s.line_bytes > 0 && s.ways > 0, "front end: cache needs line_bytes and ways");
  const uint32_t lines = s.size_bytes / s.line_bytes;
  SIM_CHECK(lines >= s.ways && lines % s.ways == 0, "front end: {} bytes of {}-byte lines do not divide into {} ways",
            s.size_bytes, s.line_bytes, s.ways);
  sets = lines / s.ways;
  ways = s.ways;
  pow2 = std::has_single_bit(sets);
  tag.assign(lines, 0);
  stamp.assign(lines, 0);
  ready.assign(lines, 0);
}

int32_t FrontEnd::TagCache::find(uint64_t line) const {
  const uint32_t b = base(line);
  for (uint32_t i = b; i < b + ways; ++i)
    if (tag[i] == line + 1) return static_cast<int32_t>(i);
  return -1;
}

uint32_t FrontEnd::TagCache::insert(uint64_t line) {
  const uint32_t b = base(line);
  uint32_t victim = b;
  for (uint32_t i = b; i < b + ways; ++i) {
    if (tag[i] == 0) {
      victim = i;
      break;
    }
    if (stamp[i] < stamp[victim]) victim = i;
  }
  tag[victim] = line + 1;
  ready[victim] = 0;
  touch(victim);
  ++fills;
  return victim;
}

// ---- set-up -----------------------------------------------------------------------------------

FrontEnd::FrontEnd(const FrontEndParams& p) : p_(p), warps_(p.warps), subs_(p.subcores) {
  refilled_.reserve(p.warps);
  SIM_CHECK(p.subcores >= 1 && p.subcores <= 32, "front end: subcores must be 1..32, got {}", p.subcores);
  SIM_CHECK(p.ibuffer_entries >= 1 && p.ibuffer_entries <= kMaxEntries, "front end: ibuffer_entries must be 1..{}, got {}",
            kMaxEntries, p.ibuffer_entries);
  SIM_CHECK(p.warps < kNoWarp, "front end: too many warps ({})", p.warps);
  const uint32_t per_sub = (p.warps + p.subcores - 1) / p.subcores;
  SIM_CHECK(per_sub <= 64, "front end: at most 64 warps per sub-core, got {}", per_sub);
  SIM_CHECK(p.l0i.line_bytes == p.l1i.line_bytes && p.l0i.line_bytes >= kInstBytes &&
                std::has_single_bit(p.l0i.line_bytes),
            "front end: L0I and L1I need the same line size, a power of two of at least {} bytes", kInstBytes);
  line_shift_ = static_cast<uint32_t>(std::countr_zero(p.l0i.line_bytes));
  l1_.init(p.l1i);
  const uint32_t mshrs = per_sub + 8;
  for (SubCore& sc : subs_) {
    sc.order.reserve(per_sub);
    sc.l0.init(p.l0i);
    sc.mshr.resize(mshrs);
    sc.queue.resize(mshrs);
    sc.next_arrival = engine::kNever;
    sc.sb.line.resize(p.prefetch_lines);
    sc.sb.arrive.resize(p.prefetch_lines);
    sc.sb.announced.resize(p.prefetch_lines);
  }
}

void FrontEnd::start_warp(uint16_t warp, uint64_t code_base, uint32_t pc, uint64_t age) {
  SIM_CHECK(warp < p_.warps, "front end: warp {} out of range", warp);
  stop_warp(warp);
  Warp& w = warps_[warp];
  w = Warp{};
  w.active = true;
  w.sub = static_cast<uint16_t>(warp % p_.subcores);
  w.head_pc = pc;
  w.code_base = code_base;
  w.age = age;
  std::vector<uint16_t>& order = subs_[w.sub].order;
  auto younger = [&](uint16_t other) {  // youngest first; ties by higher slot
    const Warp& o = warps_[other];
    return o.age > age || (o.age == age && other > warp);
  };
  auto it = order.begin();
  while (it != order.end() && younger(*it)) ++it;
  order.insert(it, warp);  // capacity reserved in the constructor: no allocation
  rebuild_order(w.sub);
}

void FrontEnd::stop_warp(uint16_t warp) {
  Warp& w = warps_[warp];
  if (!w.active) return;
  w.active = false;
  w.waiting = false;
  w.count = 0;
  std::vector<uint16_t>& order = subs_[w.sub].order;
  order.erase(std::find(order.begin(), order.end(), warp));
  rebuild_order(w.sub);
}

void FrontEnd::rebuild_order(uint32_t s) {
  SubCore& sc = subs_[s];
  sc.cand = 0;
  for (uint32_t i = 0; i < sc.order.size(); ++i) {
    warps_[sc.order[i]].pos = static_cast<uint16_t>(i);
    update_cand(sc.order[i]);
  }
}

void FrontEnd::update_cand(uint16_t warp) {
  const Warp& w = warps_[warp];
  const uint64_t bit = uint64_t{1} << w.pos;
  SubCore& sc = subs_[w.sub];
  if (w.active && !w.waiting && w.count < p_.ibuffer_entries) sc.cand |= bit;
  else sc.cand &= ~bit;
}

// ---- the per-warp buffer -----------------------------------------------------------------------

void FrontEnd::pop(uint16_t warp) {
  Warp& w = warps_[warp];
  if (!w.active || w.count == 0) [[unlikely]]
    empty_pop(warp);
  w.ring = wrap(w.ring + 1, p_.ibuffer_entries);
  --w.count;
  ++w.head_pc;
  update_cand(warp);
}

void FrontEnd::redirect(uint16_t warp, uint32_t pc) {
  Warp& w = warps_[warp];
  SIM_CHECK(w.active, "front end: redirect of inactive warp {}", warp);
  w.count = 0;
  w.ring = 0;
  w.head_pc = pc;
  w.waiting = false;  // a demand request already sent still fills the L0I
  ++stats_.redirects;
  update_cand(warp);
}

uint64_t FrontEnd::line_of(const Warp& w) const {
  return (w.code_base + kInstBytes * (uint64_t{w.head_pc} + w.count)) >> line_shift_;
}

// ---- fetch ------------------------------------------------------------------------------------

bool FrontEnd::fetch(engine::Cycle now, const uint16_t* greedy) {
  bool progress = false;
  for (uint32_t s = 0; s < p_.subcores; ++s) {
    SubCore& sc = subs_[s];
    if (now >= sc.next_arrival) progress |= process_arrivals(s, now);
    if (sc.cand == 0) continue;
    progress |= fetch_one(s, choose(s, greedy ? greedy[s] : kNoWarp), now);
  }
  if ((demand_mask_ | stream_mask_) != 0) progress |= grant_port(now);
  return progress;
}

uint16_t FrontEnd::choose(uint32_t s, uint16_t greedy) const {
  const SubCore& sc = subs_[s];
  if (greedy < p_.warps) {
    const Warp& g = warps_[greedy];
    if (g.active && g.sub == s && ((sc.cand >> g.pos) & 1)) return greedy;
  }
  return sc.order[std::countr_zero(sc.cand)];  // the youngest with room
}

// The warp (a fetch candidate) fetches its next pc.
bool FrontEnd::fetch_one(uint32_t s, uint16_t warp, engine::Cycle now) {
  Warp& w = warps_[warp];
  SubCore& sc = subs_[s];
  if (p_.perfect) {
    ++stats_.l0_hits;
  } else {
    const uint64_t line = line_of(w);
    if (w.memo_line == line && w.memo_fills == sc.l0.fills) {  // the line it hit last time
      sc.l0.touch(w.memo_way);
      ++stats_.l0_hits;
    } else if (!lookup(s, w, line, now)) {
      return miss(s, warp, line);
    }
  }
  w.ready_at[wrap(w.ring + w.count, p_.ibuffer_entries)] = now + p_.fetch_cycles;
  ++stats_.fetches;
  if (w.count == 0) refilled_.push_back(warp);
  if (++w.count == p_.ibuffer_entries) sc.cand &= ~(uint64_t{1} << w.pos);
  return true;
}

// An L0I lookup (or a hit on the stream-buffer head, which moves into the L0I).
bool FrontEnd::lookup(uint32_t s, Warp& w, uint64_t line, engine::Cycle now) {
  SubCore& sc = subs_[s];
  int32_t way = sc.l0.find(line);
  Stream& sb = sc.sb;
  if (way >= 0) {
    sc.l0.touch(static_cast<uint32_t>(way));
    ++stats_.l0_hits;
  } else if (sb.count > 0 && sb.line[sb.head] == line && sb.arrive[sb.head] <= now) {
    sb.head = wrap(sb.head + 1, p_.prefetch_lines);
    --sb.count;
    update_stream(s);
    way = static_cast<int32_t>(sc.l0.insert(line));
    ++stats_.stream_hits;
  } else {
    return false;
  }
  w.memo_line = line;
  w.memo_way = static_cast<uint32_t>(way);
  w.memo_fills = sc.l0.fills;
  return true;
}

void FrontEnd::update_stream(uint32_t s) {
  const Stream& sb = subs_[s].sb;
  if (sb.active && sb.count < p_.prefetch_lines) stream_mask_ |= 1u << s;
  else stream_mask_ &= ~(1u << s);
}

int32_t FrontEnd::find_request(const SubCore& sc, uint64_t line) const {
  if (sc.mshr_used == 0) return -1;
  for (uint32_t i = 0; i < sc.mshr.size(); ++i)
    if (sc.mshr[i].state != Req::Free && sc.mshr[i].line == line) return static_cast<int32_t>(i);
  return -1;
}

// An L0I miss not served by the stream-buffer head: the warp waits for the line.
bool FrontEnd::miss(uint32_t s, uint16_t warp, uint64_t line) {
  SubCore& sc = subs_[s];
  Stream& sb = sc.sb;
  const bool at_head = sb.count > 0 && sb.line[sb.head] == line;  // prefetched, still in flight
  const bool next_at_head = sb.count > 0 && sb.line[sb.head] == line + 1;
  const bool request = !at_head && find_request(sc, line) < 0;
  int32_t slot = -1;
  if (request) {
    for (uint32_t i = 0; i < sc.mshr.size() && slot < 0; ++i)
      if (sc.mshr[i].state == Req::Free) slot = static_cast<int32_t>(i);
    if (slot < 0) return false;  // every miss entry busy: retry next cycle
  }
  ++stats_.l0_misses;
  if (p_.prefetch_lines > 0 && !at_head && !next_at_head) flush_stream(s, line + 1);
  if (request) {
    sc.mshr[slot] = Request{line, 0, Req::Queued};
    ++sc.mshr_used;
    sc.queue[wrap(sc.q_head + sc.q_count, static_cast<uint32_t>(sc.queue.size()))] = static_cast<uint16_t>(slot);
    ++sc.q_count;
    demand_mask_ |= 1u << s;
  }
  Warp& w = warps_[warp];
  w.waiting = true;
  w.wait_line = line;
  update_cand(warp);
  return true;
}

// The stream restarts at `restart_line`. Warps waiting for a dropped prefetch look again.
void FrontEnd::flush_stream(uint32_t s, uint64_t restart_line) {
  SubCore& sc = subs_[s];
  sc.sb.active = true;
  sc.sb.next_line = restart_line;
  sc.sb.head = 0;
  sc.sb.count = 0;
  update_stream(s);
  for (uint16_t warp : sc.order) {
    Warp& w = warps_[warp];
    if (w.waiting && find_request(sc, w.wait_line) < 0) {
      w.waiting = false;
      update_cand(warp);
    }
  }
  sc.next_arrival = engine::kNever;
  for (const Request& r : sc.mshr)
    if (r.state == Req::InFlight) sc.next_arrival = std::min(sc.next_arrival, r.arrive);
}

void FrontEnd::wake(uint32_t s, uint64_t line) {
  for (uint16_t warp : subs_[s].order) {
    Warp& w = warps_[warp];
    if (w.waiting && w.wait_line == line) {
      w.waiting = false;
      update_cand(warp);
    }
  }
}

bool FrontEnd::process_arrivals(uint32_t s, engine::Cycle now) {
  SubCore& sc = subs_[s];
  bool any = false;
  engine::Cycle next = engine::kNever;
  for (Request& r : sc.mshr) {
    if (r.state != Req::InFlight) continue;
    if (r.arrive > now) {
      next = std::min(next, r.arrive);
      continue;
    }
    if (sc.l0.find(r.line) < 0) sc.l0.insert(r.line);
    r.state = Req::Free;
    --sc.mshr_used;
    wake(s, r.line);
    any = true;
  }
  Stream& sb = sc.sb;
  for (uint32_t k = 0; k < sb.count; ++k) {
    const uint32_t i = wrap(sb.head + k, p_.prefetch_lines);
    if (sb.announced[i]) continue;
    if (sb.arrive[i] > now) {
      next = std::min(next, sb.arrive[i]);
      continue;
    }
    sb.announced[i] = 1;
    wake(s, sb.line[i]);
    any = true;
  }
  sc.next_arrival = next;
  return any;
}

// ---- the shared L1I port ------------------------------------------------------------------------

engine::Cycle FrontEnd::send_l1(uint64_t line, engine::Cycle now) {
  const int32_t i = l1_.find(line);
  if (i >= 0) {
    l1_.touch(static_cast<uint32_t>(i));
    ++stats_.l1_hits;
    return std::max(now + p_.l1i_latency, l1_.ready[i]);  // a fill may still be on its way
  }
  ++stats_.l1_misses;
  const uint32_t j = l1_.insert(line);
  l1_.ready[j] = now + p_.l1i_latency + p_.l2_latency;
  return l1_.ready[j];
}

bool FrontEnd::stream_ready(uint32_t s) {
  SubCore& sc = subs_[s];
  Stream& sb = sc.sb;
  if (sc.l0.find(sb.next_line) >= 0 || find_request(sc, sb.next_line) >= 0) {
    sb.active = false;  // the stream ran into lines the L0I already has
    update_stream(s);
    return false;
  }
  return true;
}

// One request per cycle for the whole SM: demand misses first, then prefetches, each
// round-robin over sub-cores.
bool FrontEnd::grant_port(engine::Cycle now) {
  if (demand_mask_ != 0) {
    const uint32_t s = round_robin(demand_mask_, rr_demand_);
    SubCore& sc = subs_[s];
    Request& r = sc.mshr[sc.queue[sc.q_head]];
    sc.q_head = wrap(sc.q_head + 1, static_cast<uint32_t>(sc.queue.size()));
    if (--sc.q_count == 0) demand_mask_ &= ~(1u << s);
    r.arrive = send_l1(r.line, now);
    r.state = Req::InFlight;
    sc.next_arrival = std::min(sc.next_arrival, r.arrive);
    rr_demand_ = wrap(s + 1, p_.subcores);
    return true;
  }
  for (uint32_t tried = 0; stream_mask_ & ~tried;) {
    const uint32_t s = round_robin(stream_mask_ & ~tried, rr_prefetch_);
    tried |= 1u << s;
    if (!stream_ready(s)) continue;
    Stream& sb = subs_[s].sb;
    const uint32_t i = wrap(sb.head + sb.count, p_.prefetch_lines);
    sb.line[i] = sb.next_line++;
    sb.arrive[i] = send_l1(sb.line[i], now);
    sb.announced[i] = 0;
    ++sb.count;
    update_stream(s);
    ++stats_.prefetches;
    subs_[s].next_arrival = std::min(subs_[s].next_arrival, sb.arrive[i]);
    rr_prefetch_ = wrap(s + 1, p_.subcores);
    return true;
  }
  return false;
}

// Called when the SM has nothing to do: scans the sub-cores' warps (not per cycle).
engine::Cycle FrontEnd::next_event(engine::Cycle now) const {
  engine::Cycle t = (demand_mask_ | stream_mask_) != 0 ? now + 1 : engine::kNever;
  for (const SubCore& sc : subs_) {
    if (sc.next_arrival != engine::kNever) t = std::min(t, std::max(sc.next_arrival, now + 1));
    if (sc.cand != 0) t = std::min(t, now + 1);
    for (uint16_t warp : sc.order) {
      const Warp& w = warps_[warp];
      for (uint32_t k = 0; k < w.count; ++k) {  // decode times rise along the buffer
        const engine::Cycle r = w.ready_at[wrap(w.ring + k, p_.ibuffer_entries)];
        if (r > now) {
          t = std::min(t, r);
          break;
        }
      }
    }
  }
  return t;
}

}  // namespace xpusim::gpu
