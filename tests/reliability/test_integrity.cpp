// Integrity of what abacus writes (issue 13, goal 2): CRC32C known answers, every single-bit
// flip of a checksummed safetensors file is an error naming the file (and the tensor when the
// flip is in tensor data), files without checksums still load, --no-verify skips the data pass,
// and a checkpoint whose newest generation is corrupt resumes from the one before.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/io/atomic_file.h"
#include "src/io/crc32c.h"
#include "src/io/json_fields.h"
#include "src/io/safetensors.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("abacus-test-integrity-" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write_sample(const fs::path& dir) {
  io::SafetensorsWriter w;
  w.set_metadata("format", "test");
  std::vector<float> a(24), b(10);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * float(i) - 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i * i);
  w.add_f32("layer.weight", {4, 6}, a.data());
  w.add_f32("norm", {10}, b.data());
  const int8_t q[5] = {-1, 0, 1, 1, -1};
  w.add("q", io::DType::I8, {5}, q, 5);
  const std::string p = (dir / "sample.safetensors").string();
  w.write(p);
  return p;
}

}  // namespace

TEST_CASE("crc32c matches the published check values", "[integrity]") {
  CHECK(io::crc32c("123456789", 9) == 0xE3069283u);
  CHECK(io::crc32c("", 0) == 0u);
  const std::vector<uint8_t> zeros(32, 0);
  CHECK(io::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  // Continuing a checksum equals checksumming the concatenation (any split point).
  const std::string s = "The quick brown fox jumps over the lazy dog, twice over: the quick brown fox.";
  for (std::size_t cut = 0; cut <= s.size(); ++cut)
    CHECK(io::crc32c(s.data() + cut, s.size() - cut, io::crc32c(s.data(), cut)) == io::crc32c(s.data(), s.size()));
  uint32_t v = 0;
  CHECK(io::parse_crc32c_hex(io::crc32c_hex(0x0badf00du), &v));
  CHECK(v == 0x0badf00du);
  CHECK_FALSE(io::parse_crc32c_hex("0BADF00D", &v));
}

TEST_CASE("every single-bit flip of a checksummed file is caught", "[integrity]") {
  const fs::path dir = temp_dir("flips");
  const std::string path = write_sample(dir);
  const std::string good = io::read_file(path);
  {
    const auto f = io::SafetensorsFile::open(path);
    CHECK(f.checksummed());
    CHECK(f.read_f32("norm")[3] == 9.0f);
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | uint8_t(good[std::size_t(i)]);
  const std::string bad_path = (dir / "flipped.safetensors").string();
  long tried = 0, caught = 0, named_tensor = 0, data_bits = 0;
  for (std::size_t byte = 0; byte < good.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = char(uint8_t(bad[byte]) ^ (1u << bit));
      std::ofstream(bad_path, std::ios::binary | std::ios::trunc) << bad;  // no fsync: 3,752 rewrites
      ++tried;
      try {
        io::SafetensorsFile::open(bad_path);
      } catch (const Error& e) {
        ++caught;
        const std::string msg = e.what();
        CHECK(msg.find(bad_path) != std::string::npos);
        if (byte >= 8 + hlen) {
          ++data_bits;
          named_tensor += msg.find("tensor '") != std::string::npos;
        }
      }
    }
  std::printf("integrity: %ld of %ld single-bit flips caught (%ld in tensor data, %ld of them naming the tensor)\n",
              caught, tried, data_bits, named_tensor);
  CHECK(caught == tried);
  CHECK(named_tensor == data_bits);
  CHECK(data_bits == long(good.size() - 8 - hlen) * 8);
}

TEST_CASE("files without checksums load; --no-verify skips the data pass", "[integrity]") {
  const fs::path dir = temp_dir("foreign");
  // A file as another tool writes it: no __metadata__ checksums, spaces in the header.
  const std::string header = R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[std::size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
  const float w[2] = {1.5f, -2.0f};
  file += header + std::string(reinterpret_cast<const char*>(w), 8);
  const std::string path = (dir / "foreign.safetensors").string();
  io::write_file_atomic(path, file);
  const auto f = io::SafetensorsFile::open(path);
  CHECK_FALSE(f.checksummed());
  CHECK(f.read_f32("w")[1] == -2.0f);

  const std::string ours = write_sample(dir);
  std::string bad = io::read_file(ours);
  bad[bad.size() - 1] ^= 1;  // the last data byte (tensor "q")
  io::write_file_atomic(ours, bad);
  try {
    io::SafetensorsFile::open(ours);
    FAIL("a corrupt tensor loaded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("tensor 'q': checksum mismatch") != std::string::npos);
  }
  io::set_verify_checksums(false);
  CHECK_NOTHROW(io::SafetensorsFile::open(ours));
  io::set_verify_checksums(true);
}

TEST_CASE("a JSON number outside the double range is a field error", "[integrity]") {
  try {
    io::parse_json(R"({"a": 1, "dram_gbps": 1e405})", "accel.json");
    FAIL("parsed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "accel.json: dram_gbps: number 1e405 is outside the range of a double");
  }
  try {
    io::parse_json(R"({"list": [1, -2e999]})", "x.json");
    FAIL("parsed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("x.json: ") == 0);
  }
}

TEST_CASE("a checkpoint with a non-finite weight is an error naming file and tensor", "[integrity]") {
  const fs::path dir = temp_dir("nonfinite");
  ModelConfig c;
  c.name = "nf";
  c.hidden_size = 8;
  c.intermediate_size = 8;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 2;
  c.vocab_size = 16;
  c.max_position_embeddings = 8;
  const model::ParamLayout layout(c);
  std::vector<float> params(std::size_t(layout.total()), 0.5f);
  const model::ParamSpec& victim = layout.params().back();
  params[std::size_t(victim.offset + 1)] = std::nanf("");
  const std::string path = (dir / "model.safetensors").string();
  train::save_model_weights(path, c, params.data());
  try {
    train::load_model_weights(path, c);
    FAIL("a NaN weight loaded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(path + ": tensor '" + victim.name + "': element 1 is") == 0);
  }
}

TEST_CASE("checkpoint generations: newest complete one is resumed, older ones pruned", "[integrity]") {
  const fs::path run = temp_dir("generations");
  ModelConfig c;
  c.name = "gen";
  c.hidden_size = 8;
  c.intermediate_size = 8;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 2;
  c.vocab_size = 16;
  c.max_position_embeddings = 8;
  const model::ParamLayout layout(c);
  std::vector<float> params(std::size_t(layout.total()));
  std::vector<train::ParamSegment> segs;
  for (const model::ParamSpec& p : layout.params()) segs.push_back({p.offset, p.numel, p.decay});
  train::AdamW opt(layout.total(), train::AdamWConfig{}, segs);
  train::TrainerState st;
  st.total_steps = 10;
  st.batch = 2;
  st.seq = 4;
  st.rng = "1 2 3 4";
  for (int64_t step = 1; step <= 4; ++step) {
    st.step = step;
    std::fill(params.begin(), params.end(), float(step));
    train::save_checkpoint_generation(run.string(), c, params.data(), opt, st, 2);
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(run / "checkpoints")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"step-000000000003", "step-000000000004"});
  CHECK(train::run_has_checkpoint(run.string()));
  CHECK(train::peek_latest_trainer_state(run.string())->step == 4);
  // A kill between a commit and its publication: resume finds the configuration in the generation.
  fs::remove(run / "config.json");
  CHECK(train::resume_config_path(run.string()) == (run / "checkpoints/step-000000000004/config.json").string());
  // A stray temporary and a corrupt newest generation: resume takes step 3 and says why.
  fs::create_directories(run / "checkpoints" / "step-000000000005.tmp.99999");
  std::string model4 = io::read_file((run / "checkpoints/step-000000000004/model.safetensors").string());
  model4[model4.size() - 1] ^= 0x10;
  io::write_file_atomic((run / "checkpoints/step-000000000004/model.safetensors").string(), model4);
  std::vector<float> loaded(params.size());
  const train::ResumedCheckpoint rc = train::load_latest_checkpoint(run.string(), c, loaded.data(), opt);
  CHECK(rc.state.step == 3);
  CHECK(loaded[0] == 3.0f);
  REQUIRE(rc.skipped.size() == 1);
  CHECK(rc.skipped[0].find("step-000000000004") != std::string::npos);
  CHECK(rc.skipped[0].find("checksum mismatch") != std::string::npos);
  CHECK_FALSE(fs::exists(run / "checkpoints" / "step-000000000005.tmp.99999"));
  // The published model is the resumed generation's.
  CHECK(io::read_file((run / "model.safetensors").string()) ==
        io::read_file((run / "checkpoints/step-000000000003/model.safetensors").string()));
  train::remove_checkpoint_generations(run.string());
  CHECK_FALSE(train::run_has_checkpoint(run.string()));
}
