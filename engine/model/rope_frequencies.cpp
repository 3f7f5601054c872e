#include "engine/model/rope_frequencies.hpp"

#include <cmath>
#include <numbers>

namespace tpbench {

std::vector<float> rope_inv_freq(const ModelConfig& c) {
  return rope_inv_freq(c, c.rope_theta);
}

std::vector<float> rope_inv_freq(const ModelConfig& c, double base) {
  const int half = c.head_dim / 2;
  const RopeScaling& s = c.rope_scaling;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i) {
    double f = 1.0 / std::pow(base, 2.0 * i / c.head_dim);
    if (s.type == "linear") {
      f /= s.factor;
    } else if (s.type == "llama3") {
      const double old_len = static_cast<double>(s.original_max_position_embeddings);
      const double low_freq_wavelen = old_len / s.low_freq_factor;
      const double high_freq_wavelen = old_len / s.high_freq_factor;
      const double wavelen = 2.0 * std::numbers::pi / f;
      if (wavelen > low_freq_wavelen) {
        f /= s.factor;
      } else if (wavelen >= high_freq_wavelen) {  // between the two: blend
        const double smooth =
            (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = (1.0 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv_freq[i] = static_cast<float>(f);
  }
  return inv_freq;
}

bool rope_base_varies(const ModelConfig& c) {
  return c.rope_scaling.type == "dynamic" && c.rope_scaling.factor > 1.0;
}

double rope_base_for_request(const ModelConfig& c, int64_t prompt_len) {
  const int64_t max_pos = c.max_position_embeddings;
  if (!rope_base_varies(c) || prompt_len <= max_pos) return c.rope_theta;
  const double factor = c.rope_scaling.factor;
  const double dim = c.head_dim;
  const double ratio = factor * static_cast<double>(prompt_len) / max_pos - (factor - 1.0);
  return c.rope_theta * std::pow(ratio, dim / (dim - 2.0));
}

}  // namespace tpbench
