// Reading a checkpoint needs the safetensors reader of the core (src/io/safetensors.h); kept
// in its own file so the rest of the library does not depend on it.
#include "energy/ternary_zeros.h"
#include "src/io/safetensors.h"
#include "src/util/error.h"

namespace abacus::energy {

ZeroCount checkpoint_zeros(const std::string& dir, const std::string& quant) {
  const std::string path = dir + "/model.safetensors";
  if (quant == "fp") fail(dir + "/config.json", "quant", "a full-precision checkpoint has no ternary weights");
  if (quant != "b1" && quant != "b1.58" && quant != "b1.58-median")
    fail(dir + "/config.json", "quant", "unknown quantization '" + quant + "'");
  const io::SafetensorsFile f = io::SafetensorsFile::open(path);
  ZeroCount total;
  for (const io::TensorInfo& t : f.tensors()) {
    if (t.shape.size() != 2 || !is_bitlinear_weight_name(t.name)) continue;
    if (t.dtype != io::DType::F32 && t.dtype != io::DType::F16 && t.dtype != io::DType::BF16) continue;
    ZeroCount c;
    if (quant == "b1") {  // binary weights: never zero
      c.weights = t.numel();
      c.tensors = 1;
    } else {
      const std::vector<float> w = f.read_f32(t.name);
      c = ternary_zeros(w.data(), t.shape[0], t.shape[1], quant == "b1.58-median");
    }
    c.tensor_names = {t.name};
    total += c;
  }
  if (total.tensors == 0) fail(path, "", "no BitLinear weight tensors found (2-D, not embedding/norm/LM head)");
  return total;
}

}  // namespace abacus::energy
