#include "kinds/rave/latent_controls.h"

#include <algorithm>
#include <cmath>
#include <new>

namespace rt_synth::rave {

bool LatentControls::init(const RaveModel& model) noexcept {
  model_ = &model;
  size_ = model.latentSize();
  offset_.reset(new (std::nothrow) std::atomic<float>[size_]);
  scale_.reset(new (std::nothrow) std::atomic<float>[size_]);
  if (!offset_ || !scale_) return false;
  resetTargets();
  for (auto& m : map_) m = Map{};
  const int count = std::min(model.config().latent_count, 120 - kFirstOffsetCC);
  for (int i = 0; i < count; ++i) map_[kFirstOffsetCC + i] = {kCCOffset, static_cast<int16_t>(i)};
  map_[1] = {kCCGlobalScale, 0};
  return true;
}

bool LatentControls::setOffset(int i, float value) noexcept {
  if (i < 0 || i >= size_) return false;
  if (!std::isnan(value)) offset_[i].store(value, std::memory_order_relaxed);
  return true;
}

bool LatentControls::setScale(int i, float value) noexcept {
  if (i < 0 || i >= size_) return false;
  if (!std::isnan(value)) scale_[i].store(value, std::memory_order_relaxed);
  return true;
}

void LatentControls::setGlobalScale(float value) noexcept {
  if (!std::isnan(value)) global_scale_.store(value, std::memory_order_relaxed);
}

float LatentControls::offset(int i) const noexcept {
  return (i < 0 || i >= size_) ? 0.f : offset_[i].load(std::memory_order_relaxed);
}

float LatentControls::scale(int i) const noexcept {
  return (i < 0 || i >= size_) ? 0.f : scale_[i].load(std::memory_order_relaxed);
}

void LatentControls::resetTargets() noexcept {
  for (int i = 0; i < size_; ++i) {
    offset_[i].store(0.f, std::memory_order_relaxed);
    scale_[i].store(1.f, std::memory_order_relaxed);
  }
  global_scale_.store(1.f, std::memory_order_relaxed);
}

bool LatentControls::validMap(int cc, int target, int index) const noexcept {
  if (cc < 0 || cc > 127 || target < kCCNone || target > kCCGlobalScale) return false;
  return !((target == kCCOffset || target == kCCScale) && (index < 0 || index >= size_));
}

bool LatentControls::handleCC(int cc, int value) noexcept {
  cc &= 127;
  const int val = value & 127;
  if (cc == 121) {
    resetTargets();
    return true;
  }
  const Map& map = map_[cc];
  const RaveConfig& c = model_->config();
  switch (map.target) {
    case kCCOffset: {
      const float v = std::max(-1.f, std::min(1.f, (static_cast<float>(val) - 64.f) / 63.f));
      offset_[map.index].store(v * c.latent_offset_range * model_->latentStd(map.index), std::memory_order_relaxed);
      return true;
    }
    case kCCScale:
      scale_[map.index].store(static_cast<float>(val) / 127.f * c.latent_scale_max, std::memory_order_relaxed);
      return true;
    case kCCGlobalScale:
      global_scale_.store(1.f + static_cast<float>(val) / 127.f * (c.latent_scale_max - 1.f),
                          std::memory_order_relaxed);
      return true;
    default:
      return false;
  }
}

}  // namespace rt_synth::rave
