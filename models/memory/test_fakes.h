// Test-only ends for memory components, driven through real channels: a requester that sends
// a script of requests and records the responses, and a responder that answers each request a
// fixed number of cycles after it arrives (optionally refusing to take requests, to exercise
// back-pressure). The L2 slice and crossbar tests put them on either side of the unit under test.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "src/engine/component.h"
#include "src/engine/messages.h"
#include "src/engine/port.h"

namespace xpusim::mem::testing {

// Sends its scripted requests in order, each not before its cycle; records what it sent and
// every response, with their cycles.
class ScriptedRequester final : public engine::Component {
 public:
  ScriptedRequester(sc_core::sc_module_name n, engine::Env& env, engine::ClockDomain clk) : Component(n, env, clk) {}
  engine::OutPort<engine::MemReq> out;
  engine::InPort<engine::MemResp> in;
  std::deque<std::pair<engine::Cycle, engine::MemReq>> todo;
  std::vector<std::pair<engine::Cycle, engine::MemReq>> sent;
  std::vector<std::pair<engine::Cycle, engine::MemResp>> got;

  void add(engine::Cycle at, uint64_t line, engine::MemOp op, uint8_t mask, uint32_t tag, uint8_t atomics = 0) {
    engine::MemReq r;
    r.line_addr = line;
    r.op = op;
    r.sector_mask = mask;
    r.atomics = atomics;
    r.tag = tag;
    todo.emplace_back(at, r);
  }
  void start() { wake_at(0); }
  // Cycle the response with this tag arrived (0: none yet).
  engine::Cycle got_at(uint32_t tag) const {
    for (const auto& [c, r] : got)
      if (r.tag == tag) return c;
    return 0;
  }
  bool do_cycle(engine::Cycle now) override {
    const engine::Tick t = clock().edge(now);
    bool any = false;
    if (!todo.empty() && todo.front().first <= now && out.can_send(t)) {
      out.send(t, todo.front().second);
      sent.emplace_back(now, todo.front().second);
      todo.pop_front();
      any = true;
    }
    while (in.can_recv(t)) {
      got.emplace_back(now, in.front());
      in.pop(t);
      any = true;
    }
    return any;
  }
  engine::Tick next_event() const override {
    if (todo.empty()) return engine::kNever;
    const engine::Tick at = clock().edge(todo.front().first);
    return at > engine::now_tick() ? at : engine::kNever;
  }
  bool busy() const override { return !todo.empty(); }
  std::string describe() const override { return "scripted requester"; }
};

// Takes requests while `accept` allows and answers each, echoing tag, source, sectors and op,
// `latency` cycles after it arrived; records what it was asked.
class DelayedResponder final : public engine::Component {
 public:
  DelayedResponder(sc_core::sc_module_name n, engine::Env& env, engine::ClockDomain clk) : Component(n, env, clk) {}
  engine::InPort<engine::MemReq> in;
  engine::OutPort<engine::MemResp> out;
  bool accept = true;
  engine::Cycle latency = 1;
  std::vector<std::pair<engine::Cycle, engine::MemReq>> got;
  std::deque<std::pair<engine::Cycle, engine::MemResp>> pending;

  bool do_cycle(engine::Cycle now) override {
    const engine::Tick t = clock().edge(now);
    bool any = false;
    while (accept && in.can_recv(t)) {
      const engine::MemReq& r = in.front();
      got.emplace_back(now, r);
      pending.emplace_back(now + latency, engine::MemResp{r.tag, r.source, r.sector_mask, r.op});
      in.pop(t);
      any = true;
    }
    while (!pending.empty() && pending.front().first <= now && out.can_send(t)) {
      out.send(t, pending.front().second);
      pending.pop_front();
      any = true;
    }
    return any;
  }
  engine::Tick next_event() const override {
    if (pending.empty()) return engine::kNever;
    const engine::Tick at = clock().edge(pending.front().first);
    return at > engine::now_tick() ? at : engine::kNever;
  }
  bool busy() const override { return !pending.empty(); }
  std::string describe() const override { return "delayed responder"; }
};

}  // namespace xpusim::mem::testing
