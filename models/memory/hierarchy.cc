#include "models/memory/hierarchy.h"

#include <fmt/format.h>

#include "models/memory/l2/slice_map.h"

namespace xpusim::mem {

namespace {

uint32_t per_controller(const proto::GpuSpec& gpu, const DramParams& d) {
  SIM_CHECK(d.controllers > 0 && gpu.l2().slices() % d.controllers == 0,
            "gpu.l2.slices ({}) must divide evenly among {} DRAM controllers", gpu.l2().slices(), d.controllers);
  return gpu.l2().slices() / d.controllers;
}

}  // namespace

uint32_t Hierarchy::Router::slice_of(uint64_t line_addr) const {
  return mem::slice_of(d_.controller_of(line_addr), line_addr, d_.controllers, per_, hash_);
}

template <typename T>
engine::Channel<T>& Hierarchy::channel(std::deque<engine::Channel<T>>& pool, std::string name, size_t capacity,
                                       engine::Component* from, engine::Component* to) {
  auto& ch = pool.emplace_back(std::move(name), capacity);
  ch.bind(from, to);
  return ch;
}

Hierarchy::Hierarchy(sc_core::sc_module_name name, const proto::GpuSpec& gpu, engine::Env& env, engine::ClockDomain core)
    : sc_module(name),
      dram_params_(DramParams::from(gpu.dram())),
      per_controller_(per_controller(gpu, dram_params_)),
      router_(dram_params_, per_controller_, gpu.l2().hash()) {
  const uint32_t sms = gpu.num_sms();
  const L1Params l1p = L1Params::from(gpu);
  const L2Params l2p = L2Params::from(gpu);
  const CrossbarParams xp = CrossbarParams::from(gpu, sms, l2p.slices);
  const std::string me = sc_module::name();
  noc_ = std::make_unique<Crossbar>("noc", env, core, xp, router_);
  for (uint32_t i = 0; i < sms; ++i) {
    l1_.push_back(std::make_unique<L1Cache>(fmt::format("l1[{}]", i).c_str(), env, core, l1p, static_cast<uint16_t>(i)));
    L1Cache& l1 = *l1_.back();
    auto& up = channel(req_ch_, fmt::format("{}.l1[{}].to_noc", me, i), xp.queue, &l1, noc_.get());
    l1.to_l2.connect(&up);
    noc_->from_sm[i].connect(&up);
    auto& down = channel(resp_ch_, fmt::format("{}.l1[{}].from_noc", me, i), xp.queue, noc_.get(), &l1);
    noc_->to_sm[i].connect(&down);
    l1.from_l2.connect(&down);
  }
  for (uint32_t c = 0; c < dram_params_.controllers; ++c)
    dram_.push_back(std::make_unique<DramController>(fmt::format("dram[{}]", c).c_str(), env, dram_params_, c,
                                                     per_controller_));
  for (uint32_t j = 0; j < l2p.slices; ++j) {
    const uint32_t port = j % per_controller_;
    l2_.push_back(std::make_unique<L2Slice>(fmt::format("l2[{}]", j).c_str(), env, core, l2p, static_cast<uint16_t>(port)));
    L2Slice& s = *l2_.back();
    DramController& d = *dram_[j / per_controller_];
    auto& in = channel(req_ch_, fmt::format("{}.l2[{}].from_noc", me, j), l2p.queue, noc_.get(), &s);
    noc_->to_slice[j].connect(&in);
    s.req_in.connect(&in);
    auto& out = channel(resp_ch_, fmt::format("{}.l2[{}].to_noc", me, j), xp.queue, &s, noc_.get());
    s.resp_out.connect(&out);
    noc_->from_slice[j].connect(&out);
    // the controller queues requests itself: a short channel in front of it is enough
    auto& to_d = channel(req_ch_, fmt::format("{}.l2[{}].to_dram", me, j), 4, &s, &d);
    s.to_dram.connect(&to_d);
    d.req_in[port].connect(&to_d);
    // room for every request the slice can have outstanding: the controller never waits on it
    auto& from_d = channel(resp_ch_, fmt::format("{}.l2[{}].from_dram", me, j), l2p.dram_outstanding(), &d, &s);
    d.resp_out[port].connect(&from_d);
    s.from_dram.connect(&from_d);
  }
}

Hierarchy::~Hierarchy() = default;

void Hierarchy::begin_kernel(uint32_t shared_bytes_per_sm) {
  for (auto& l1 : l1_) l1->set_carveout(shared_bytes_per_sm);
}

bool Hierarchy::busy() const {
  if (noc_->busy()) return true;
  for (const auto& c : l1_)
    if (c->busy()) return true;
  for (const auto& s : l2_)
    if (s->busy()) return true;
  for (const auto& d : dram_)
    if (d->busy()) return true;
  return false;
}

std::string Hierarchy::describe() const {
  std::string s;
  for (const auto& c : l1_)
    if (c->busy()) s += c->describe();
  if (noc_->busy()) s += noc_->describe();
  for (const auto& c : l2_)
    if (c->busy()) s += c->describe();
  for (const auto& d : dram_)
    if (d->busy()) s += d->describe();
  return s;
}

}  // namespace xpusim::mem
