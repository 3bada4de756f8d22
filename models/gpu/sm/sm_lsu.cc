// The SM's memory pipeline (Huerta et al. §8): each sub-core queues its memory instructions
// (queue + latch) and computes addresses one instruction at a time; structures shared by the
// sub-cores accept one instruction every few cycles; shared-memory accesses complete after
// the shared latency plus a cycle per bank-conflict wavefront, global and local accesses are
// coalesced (models/memory/coalescer.h) into 128-byte line requests that go out through the
// memory port (a few per cycle) and complete when every line is back.
#include <algorithm>
#include <bit>

#include "models/gpu/sm/pipeline_trace.h"
#include "models/gpu/sm/sm.h"
#include "models/gpu/sm/sm_state.h"
#include "models/memory/coalescer.h"
#include "models/memory/shared_banks.h"
#include "src/exec/lanes.h"

namespace xpusim::gpu {

using engine::Cycle;
using engine::Tick;

// Issue of a memory instruction: it takes a queue entry and a pending-request entry. Its
// address calculation start is known now (the sub-core's address unit works in order), and so
// is the cycle its source registers have been read (the WAR release).
void Sm::enqueue_memory(uint16_t slot, const exec::DynInst& d, Cycle now) {
  WarpSlot& s = warps_[slot];
  Subcore& sc = subcores_[s.subcore];
  const isa::Inst& in = *d.inst;
  SIM_CHECK(!mem_free_.empty(), "{}: no free memory-instruction entry", path());
  const uint32_t idx = mem_free_.back();
  mem_free_.pop_back();
  MemInst& m = mem_[idx];
  m = MemInst{};
  m.used = true;
  m.warp = slot;
  m.cta = s.cta;
  m.pc = d.pc;
  m.d = d;
  m.wbar = p_.dependence == proto::CONTROL_BITS ? in.ctrl.wbar : kNoCounter;
  m.global = d.exec && (d.space == exec::Space::Global || d.space == exec::Space::Local);
  m.ldgsts = in.op == isa::Op::LDGSTS;
  m.group_seq = s.group_seq;
  m.issued = now;
  // shared-memory and SHFL addresses are computed in half the time (Huerta et al. §8)
  m.addr_cycles = static_cast<uint8_t>(m.global ? p_.lsu.address_cycles : std::max<uint32_t>(1, p_.lsu.address_cycles / 2));
  const Cycle start = std::max(now + 2, sc.addr_free);
  sc.addr_free = start + m.addr_cycles;
  m.addr_done = sc.addr_free;
  sc.lsu_queue.push_back(idx);
  ++ctas_[s.cta].inflight;
  if (m.ldgsts) ++s.open_group;
  if (d.space == exec::Space::Shared || m.ldgsts) {
    ++*energy_.shared_accesses;
    *energy_.shared_bytes += static_cast<uint64_t>(std::popcount(d.exec)) * d.bytes;
  }
  // Sources are read while the address is computed; stores also read their data, 64 bytes
  // per cycle (Huerta et al. Table 2: WAR 11 for loads, 14/16/20 for 32/64/128-bit stores).
  const Cycle data = d.store && !d.atomic ? 1 + (32u * d.bytes) / 64 : 0;
  const Cycle read_done = start - 2 + p_.lsu.war_cycles + data;
  issue_counters(s, slot, in, now, read_done, UINT64_MAX, UINT64_MAX);  // the write counter is handled here
  if (m.wbar != kNoCounter) {  // decremented when the access completes (complete_memory)
    schedule(now + 2, slot, kSbInc, m.wbar);
    if (m.global) s.sb_long |= static_cast<uint8_t>(1 << m.wbar);
    else s.sb_long &= static_cast<uint8_t>(~(1 << m.wbar));
  }
  if (m.global) for_each_write(in, [&](int sl) { s.set_long(sl, true); });
}

// Moves instructions whose address is ready into the shared structures, one per
// shared_interval cycles for the whole SM, oldest address first.
bool Sm::lsu_cycle(Cycle now) {
  if (shared_free_ > now) return false;
  Subcore* best = nullptr;
  for (Subcore& sc : subcores_) {
    if (sc.lsu_queue.empty() || mem_[sc.lsu_queue.front()].addr_done > now) continue;
    if (!best || mem_[sc.lsu_queue.front()].addr_done < mem_[best->lsu_queue.front()].addr_done) best = &sc;
  }
  if (!best) return false;
  const uint32_t idx = best->lsu_queue.front();
  best->lsu_queue.pop_front();
  for (uint16_t wi : best->warps)  // a queue slot freed
    if (warps_[wi].reason == Stall::LgThrottle || warps_[wi].reason == Stall::MioThrottle) mark_dirty(wi);
  shared_free_ = now + p_.lsu.shared_interval;
  start_memory(idx, now);
  return true;
}

void Sm::start_memory(uint32_t idx, Cycle now) {
  MemInst& m = mem_[idx];
  const exec::DynInst& d = m.d;
  if (!m.global) {  // shared memory, SHFL, or nothing executed: the shared latency from issue
    // Bank conflicts: every wavefront beyond the first holds the shared pipe a cycle more
    // and delays the result as long (models/memory/shared_banks.h).
    uint32_t extra = 0;
    if (d.exec && d.space == exec::Space::Shared && d.bytes) {
      const mem::Wavefronts w = d.inst->op == isa::Op::LDSM
                                    ? mem::ldsm_wavefronts(p_.shared_banks, d.addr.data(), d.inst->m.size)
                                    : d.inst->op == isa::Op::LDS
                                        ? mem::shared_load_wavefronts(p_.shared_banks, d.addr.data(), d.exec, d.bytes)
                                        : mem::shared_wavefronts(p_.shared_banks, d.addr.data(), d.exec, d.bytes);
      *stat_.shared_wavefronts += w.total;
      *stat_.shared_conflicts += w.conflicts();
      extra = w.total > 1 ? w.total - 1 : 0;
      shared_free_ += extra;
    }
    const Cycle done = std::max<Cycle>(now + 1, m.issued + p_.shared_latency) + extra;
    schedule(done, m.warp, kMemDone, 0, idx);
    return;
  }
  if (m.ldgsts && d.exec) {  // its shared-memory write takes the shared pipe too
    const mem::Wavefronts w = mem::ldgsts_write_wavefronts(p_.shared_banks, d.exec, d.bytes);
    *stat_.shared_wavefronts += w.total;
    *stat_.shared_conflicts += w.conflicts();
    shared_free_ += w.total > 1 ? w.total - 1 : 0;
  }
  // Coalesce the executing lanes into 128-byte lines with 32-byte sector masks.
  const uint64_t* addr = d.addr.data();
  std::array<uint64_t, 32> local;
  if (d.space == exec::Space::Local) {  // per-thread local memory lives in a per-SM DRAM window
    exec::for_lanes(d.exec, [&](int l) {
      local[static_cast<size_t>(l)] = (uint64_t{0xfe} << 40) | (uint64_t{id_} << 28) |
                                      ((uint64_t{m.warp} * 32 + static_cast<uint64_t>(l)) << 14) | (d.addr[static_cast<size_t>(l)] & 0x3fff);
    });
    addr = local.data();
  }
  mem::CoalescedLines lines;
  const uint32_t n = mem::coalesce(addr, d.exec, d.bytes, lines);
  m.lines = n;
  const engine::MemOp op = d.atomic ? engine::MemOp::Atomic : (d.store ? engine::MemOp::Store : engine::MemOp::Load);
  // .BYPASS (cp.async.cg: "caches at the L2 only", PTX ISA) and GPU/system-scope accesses
  // (ld.cg, ld.volatile compile to .STRONG.GPU/.SYS) skip the SM's L1: the assembler marks them.
  const uint8_t flags = (d.inst->m.flags & isa::kBypassL1) ? engine::MemReq::kBypassL1 : 0;
  for (uint32_t i = 0; i < n; ++i) {
    SIM_CHECK(outq_size_ < outq_.size(), "{}: request queue overflow", path());
    engine::MemReq& r = outq_[(outq_head_ + outq_size_++) % outq_.size()];
    r = engine::MemReq{};
    r.line_addr = lines[i].line_addr;
    r.sector_mask = lines[i].sector_mask;
    r.op = op;
    r.flags = flags;
    r.atomics = op == engine::MemOp::Atomic ? lines[i].lanes : 0;
    r.source = id_;
    r.tag = idx;
    r.issued = clk_.edge(now);
    *stat_.mem_sectors += static_cast<uint64_t>(std::popcount(lines[i].sector_mask));
  }
  *stat_.mem_lines += n;
  if (n == 0) schedule(now + 1, m.warp, kMemDone, 0, idx);
}

bool Sm::send_memory(Cycle now) {
  const Tick t = clk_.edge(now);
  uint32_t sent = 0;
  while (outq_size_ && sent < p_.lsu.lines_per_cycle && mem_out.can_send(t)) {
    mem_out.send(t, outq_[outq_head_]);
    outq_head_ = (outq_head_ + 1) % outq_.size();
    --outq_size_;
    ++sent;
  }
  return sent != 0;
}

bool Sm::receive_memory(Cycle now) {
  const Tick t = clk_.edge(now);
  bool any = false;
  while (mem_in.can_recv(t)) {
    const uint32_t idx = mem_in.front().tag;
    mem_in.pop(t);
    MemInst& m = mem_[idx];
    SIM_CHECK(m.used && m.lines > 0, "{}: response for idle request {}", path(), idx);
    if (--m.lines == 0) complete_memory(idx, now);
    any = true;
  }
  return any;
}

void Sm::complete_memory(uint32_t idx, Cycle now) {
  MemInst& m = mem_[idx];
  WarpSlot& s = warps_[m.warp];
  if (m.wbar != kNoCounter) schedule(now, m.warp, kSbDec, m.wbar);
  for_each_write(*m.d.inst, [&](int sl) { s.ready[sl] = now; });
  if (m.ldgsts) {
    // the group is the open one, or a committed one still in the FIFO
    const uint32_t back = s.group_seq - m.group_seq;  // 0 = open group, 1 = newest committed, ...
    if (back == 0) {
      --s.open_group;
    } else {
      SIM_CHECK(back <= s.groups_count, "LDGSTS completion for a retired group");
      --s.groups[(s.groups_head + s.groups_count - back) % s.groups.size()].remaining;
      drain_groups(s);
    }
  }
  if (trace_ && trace_->wants(id_, ctas_[m.cta].cta.linear_id, s.w->index))
    trace_->inst(id_, ctas_[m.cta].cta.linear_id, s.w->index, m.pc, m.d.inst->text, m.issued, m.addr_done, now, "LSU");
  m.used = false;
  mem_free_.push_back(idx);
  mark_dirty(m.warp);                        // its registers, counters and LDGSTS groups
  if (mem_free_.size() == 1) mark_all_dirty();  // the first free pending-request entry
  CtaSlot& c = ctas_[m.cta];
  --c.inflight;
  if (c.cta.done() && c.inflight == 0) warp_exited(m.warp, now);
}

void Sm::drain_groups(WarpSlot& s) {
  while (s.groups_count && s.groups[s.groups_head].remaining == 0) {
    --s.sb[s.groups[s.groups_head].counter];
    s.groups_head = (s.groups_head + 1) % s.groups.size();
    --s.groups_count;
  }
}

}  // namespace xpusim::gpu
