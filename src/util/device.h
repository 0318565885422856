// Where compute runs. `auto` picks a CUDA GPU when one is present (and the CUDA sources were
// built); otherwise the CPU, and the first call prints one line saying so.
#pragma once
#include <string>

namespace abacus {

enum class Device { cpu, cuda };

// `want` is "auto", "cpu" or "cuda"; "cuda" without a usable GPU is an Error.
Device select_device(const std::string& want);
int cuda_device_count();  // 0 when not built with CUDA or no GPU/driver
const char* device_name(Device d);

}  // namespace abacus
