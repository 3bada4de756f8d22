// The crossbar between the SMs (their L1s) and the L2 slices: two independent planes, requests
// SM -> slice and responses slice -> SM, so a response can never wait behind a request
// (no protocol deadlock).
//
// Each plane is an input-queued switch. A message is cut into flits of `bytes_per_cycle`
// bytes (a request is a header plus, for stores and atomics, its data sectors; a response is
// a header plus, for loads and atomics, its data sectors). A link carries one flit per cycle,
// so a message holds its input link and its output link for `flits` cycles. Every output
// arbitrates round-robin among the inputs whose head message goes to it (head-of-line
// blocking at an input is real: an SM port serialises its messages). A granted message
// reaches the far side `latency_cycles + flits - 1` cycles after its sender sent it (at
// least 2: the two channel hops take a cycle each). Each output holds the messages crossing it
// plus `queue` more; a full output or a full downstream channel
// stops that output (back-pressure, counted as stall cycles).
//
// Near/far: the SMs and the slices are split into `partitions` contiguous groups (SM i is in
// partition i * P / sms; slice j in j * P / slices, and slices are numbered controller by
// controller, so a DRAM controller and its slices share a partition). A message between
// different partitions first crosses the inter-partition link: it becomes eligible for
// arbitration `far_latency_cycles` after it reached the crossbar.
//
// Event-driven: the crossbar sleeps when both planes are empty and, when messages wait on a
// busy link, wakes at the tick the link frees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.pb.h"
#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem {

// Which slice serves a line. The memory hierarchy provides it (the L2 address mapping).
class SliceRouter {
 public:
  virtual ~SliceRouter() = default;
  virtual uint32_t slice_of(uint64_t line_addr) const = 0;
};

struct CrossbarParams {
  // gpu.noc and gpu.l2.partitions with defaults applied (src/io/defaults_memory.cc).
  static CrossbarParams from(const proto::GpuSpec& gpu, uint32_t sms, uint32_t slices);

  uint32_t sms = 1;
  uint32_t slices = 1;
  uint32_t partitions = 1;
  uint32_t latency_cycles = 1;      // one way, uncontended, single flit
  uint32_t far_latency_cycles = 0;  // extra, one way, between partitions
  uint32_t bytes_per_cycle = 32;    // flit size: per port and direction
  uint32_t queue = 8;               // messages buffered per output
  uint32_t header_bytes = 8;        // command + address
  uint32_t sector_bytes = 32;

  uint32_t sm_partition(uint32_t sm) const { return static_cast<uint32_t>(uint64_t{sm} * partitions / sms); }
  uint32_t slice_partition(uint32_t s) const { return static_cast<uint32_t>(uint64_t{s} * partitions / slices); }
  bool far(uint32_t sm, uint32_t slice) const { return sm_partition(sm) != slice_partition(slice); }
  uint32_t flits(uint32_t bytes) const { return (bytes + bytes_per_cycle - 1) / bytes_per_cycle; }
};

class Crossbar final : public engine::Component {
 public:
  Crossbar(sc_core::sc_module_name name, engine::Env& env, engine::ClockDomain clk, const CrossbarParams& p,
           const SliceRouter& router);

  std::vector<engine::InPort<engine::MemReq>> from_sm;     // [sm]
  std::vector<engine::OutPort<engine::MemReq>> to_slice;   // [slice]
  std::vector<engine::InPort<engine::MemResp>> from_slice; // [slice]
  std::vector<engine::OutPort<engine::MemResp>> to_sm;     // [sm], chosen by the response's source

  bool do_cycle(engine::Cycle now) override;
  engine::Tick next_event() const override;
  bool busy() const override;
  std::string describe() const override;

  const CrossbarParams& params() const { return p_; }

 private:
  static constexpr uint32_t kNoInput = UINT32_MAX;
  template <typename T>
  struct Plane {
    struct Entry {
      T msg{};
      engine::Tick ready = 0;
    };
    struct Fifo {  // fixed ring per output
      std::vector<Entry> ring;
      size_t head = 0, size = 0;
    };
    std::vector<engine::Tick> in_free, out_free;  // tick each link is next free
    std::vector<uint32_t> rr;                     // round-robin pointer per output
    std::vector<Fifo> fifo;                       // per output
    std::vector<engine::Tick> stalled_since;      // per output; kNever when not stalled
    std::vector<uint32_t> winner;                 // per output: this cycle's candidate (arbitration scratch)
    std::vector<uint32_t> contested;              // outputs with a candidate (capacity reserved)
    std::vector<uint64_t*> in_busy, out_busy;     // per port: cycles carrying flits
    uint64_t* flits = nullptr;
    uint64_t* bytes = nullptr;
    uint64_t* messages = nullptr;
    uint64_t* far = nullptr;
    uint64_t* stall_cycles = nullptr;
  };

  template <typename T>
  void init_plane(Plane<T>& pl, size_t ins, size_t outs, const char* what, const char* in_name, const char* out_name);
  template <typename T>
  bool run_plane(Plane<T>& pl, std::vector<engine::InPort<T>>& in, std::vector<engine::OutPort<T>>& out,
                 engine::Tick t);
  template <typename T>
  engine::Tick plane_next(const Plane<T>& pl, const std::vector<engine::InPort<T>>& in, engine::Tick now) const;

  // Routing and sizing of the two message kinds.
  uint32_t dest(const engine::MemReq& r) const { return router_.slice_of(r.line_addr); }
  uint32_t dest(const engine::MemResp& r) const { return r.source; }
  uint32_t bytes(const engine::MemReq& r) const;
  uint32_t bytes(const engine::MemResp& r) const;
  bool is_far(const engine::MemReq& r, uint32_t in, uint32_t out) const { return (void)r, p_.far(in, out); }
  bool is_far(const engine::MemResp& r, uint32_t in, uint32_t out) const { return (void)r, p_.far(out, in); }

  CrossbarParams p_;
  const SliceRouter& router_;
  Plane<engine::MemReq> req_;
  Plane<engine::MemResp> resp_;
  uint64_t* e_flit_;
};

}  // namespace xpusim::mem
