// Ports: bounded FIFOs between components, plus the wake-ups that let idle components sleep.
//
//   OutPort<T> ──Channel<T>──► InPort<T>
//
// * A message sent at tick t becomes visible to the receiver at t + latency, and never
//   before the receiver's next clock edge: what one component does in a cycle is seen by
//   another only in a later cycle, so the order SystemC runs processes in cannot matter.
// * Likewise a slot freed at tick t can be reused by the sender only after t.
// * send() wakes the receiver for the message's arrival; pop() wakes a sender that found
//   the channel full. Nothing polls.
// * Storage is a fixed ring: no allocation per message.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "src/engine/component.h"
#include "src/engine/error.h"
#include "src/engine/types.h"

namespace xpusim::engine {

template <typename T>
class Channel final : public InputChannel {
 public:
  Channel(std::string name, size_t capacity, Tick latency_ps = 0)
      : name_(std::move(name)), ring_(capacity), latency_(latency_ps) {
    SIM_CHECK(capacity > 0, "channel {} has no capacity", name_);
  }
  void bind(Component* sender, Component* receiver) {
    sender_ = sender;
    receiver_ = receiver;
    if (receiver) receiver->add_input(this);
  }
  const std::string& name() const { return name_; }
  size_t capacity() const { return ring_.size(); }
  size_t size() const { return size_; }

  // ---- sender side ----
  bool can_send(Tick now) {
    const size_t freed_now = popped_at_ == now ? pops_at_tick_ : 0;
    if (size_ + freed_now < ring_.size()) return true;
    sender_waiting_ = true;
    return false;
  }
  void send(Tick now, const T& msg) {
    SIM_CHECK(can_send(now), "send on full channel {}", name_);
    Tick ready = now + latency_;
    if (receiver_) {
      const Tick edge = receiver_->clock().next_edge(now);
      if (ready < edge) ready = edge;
    } else if (ready <= now) {
      ready = now + 1;
    }
    Slot& s = ring_[(head_ + size_) % ring_.size()];
    s.msg = msg;
    s.ready = ready;
    ++size_;
    if (receiver_ && size_ == 1) receiver_->wake_at(ready);
  }

  // ---- receiver side ----
  bool can_recv(Tick now) const { return size_ > 0 && ring_[head_].ready <= now; }
  const T& front() const { return ring_[head_].msg; }
  T& front() { return ring_[head_].msg; }
  // Tick at which the oldest message becomes visible; kNever when empty.
  Tick next_ready() const override { return size_ ? ring_[head_].ready : kNever; }
  void pop(Tick now) {
    SIM_CHECK(size_ > 0, "pop on empty channel {}", name_);
    head_ = (head_ + 1) % ring_.size();
    --size_;
    if (popped_at_ != now) {
      popped_at_ = now;
      pops_at_tick_ = 0;
    }
    ++pops_at_tick_;
    if (size_ > 0 && receiver_) receiver_->wake_at(ring_[head_].ready);
    if (sender_waiting_ && sender_) {
      sender_waiting_ = false;
      sender_->wake();
    }
  }

 private:
  struct Slot {
    T msg{};
    Tick ready = 0;
  };
  std::string name_;
  std::vector<Slot> ring_;
  Tick latency_;
  size_t head_ = 0;
  size_t size_ = 0;
  Tick popped_at_ = kNever;
  size_t pops_at_tick_ = 0;
  bool sender_waiting_ = false;
  Component* sender_ = nullptr;
  Component* receiver_ = nullptr;
};

// The two ends a component declares. The top level connects them to a Channel it owns.
template <typename T>
class OutPort {
 public:
  void connect(Channel<T>* ch) { ch_ = ch; }
  bool connected() const { return ch_ != nullptr; }
  bool can_send(Tick now) { return ch_->can_send(now); }
  void send(Tick now, const T& msg) { ch_->send(now, msg); }

 private:
  Channel<T>* ch_ = nullptr;
};

template <typename T>
class InPort {
 public:
  void connect(Channel<T>* ch) { ch_ = ch; }
  bool connected() const { return ch_ != nullptr; }
  bool can_recv(Tick now) const { return ch_->can_recv(now); }
  const T& front() const { return ch_->front(); }
  void pop(Tick now) { ch_->pop(now); }
  Tick next_ready() const { return ch_->next_ready(); }
  size_t size() const { return ch_->size(); }

 private:
  Channel<T>* ch_ = nullptr;
};

}  // namespace xpusim::engine
