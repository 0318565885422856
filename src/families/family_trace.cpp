#include "src/families/family_trace.h"

#include <cmath>
#include <numeric>

#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::families {
namespace {

constexpr const char* kFamilyScaleConvention =
    "x ~= x_q / x_scale (per token, x_scale = act_scale / absmax of the LayerNorm output), W ~= w_q / w_scale (per tensor); y = float(acc) / (x_scale[t] * w_scale), before the layer's bias";

io::Json op_json(const FamilyOp& o) {
  io::Json j;
  j["kind"] = o.kind;
  if (!o.name.empty()) j["name"] = o.name;
  if (o.kind == "bitlinear" || o.kind == "dense_fp") j["T"] = o.T, j["K"] = o.K, j["N"] = o.N;
  if (o.kind == "layernorm" || o.kind == "act" || o.kind == "add") j["elements"] = o.elements;
  if (o.kind == "attention")
    j["B"] = o.attn.B, j["Tq"] = o.attn.Tq, j["Tk"] = o.attn.Tk, j["heads"] = o.attn.H, j["head_dim"] = o.attn.hd,
    j["causal"] = o.attn.causal;
  if (o.kind == "spmm") {
    j["rows"] = o.rows, j["nnz"] = o.nnz, j["F"] = o.F;
    io::Json h = io::Json::array();
    for (const auto& [deg, n] : o.degree_hist) h.push_back({deg, n});
    j["degree_hist"] = h;
  }
  return j;
}

FamilyOp op_from_json(const io::Json& j, const std::string& file, const std::string& field) {
  if (!j.is_object()) fail(file, field, "must be an object");
  io::JsonFields f(j, file, field + ".");
  FamilyOp o;
  o.kind = f.get_enum("kind", {"bitlinear", "dense_fp", "layernorm", "act", "add", "attention", "spmm"});
  o.name = f.get_or<std::string>("name", "");
  const long long big = 1LL << 40;
  if (o.kind == "bitlinear" || o.kind == "dense_fp")
    o.T = f.get_int("T", 1, big), o.K = f.get_int("K", 1, big), o.N = f.get_int("N", 1, big);
  if (o.kind == "layernorm" || o.kind == "act" || o.kind == "add") o.elements = f.get_int("elements", 0, big);
  if (o.kind == "attention") {
    o.attn.B = f.get_int("B", 1, big), o.attn.Tq = f.get_int("Tq", 1, big), o.attn.Tk = f.get_int("Tk", 1, big);
    o.attn.H = f.get_int("heads", 1, big), o.attn.hd = f.get_int("head_dim", 1, big);
    o.attn.causal = f.get<bool>("causal");
  }
  if (o.kind == "spmm") {
    o.rows = f.get_int("rows", 1, big), o.nnz = f.get_int("nnz", 0, big), o.F = f.get_int("F", 1, big);
    int64_t rows = 0, nnz = 0;
    for (const auto& e : f.raw("degree_hist")) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number_integer())
        fail(file, field + ".degree_hist", "must be [[degree, rows], ...]");
      o.degree_hist.emplace_back(e[0].get<int64_t>(), e[1].get<int64_t>());
      rows += e[1].get<int64_t>(), nnz += e[0].get<int64_t>() * e[1].get<int64_t>();
    }
    if (rows != o.rows || nnz != o.nnz) fail(file, field + ".degree_hist", "does not sum to rows and nnz");
  }
  f.finish();
  return o;
}

}  // namespace

int64_t write_family_trace(const std::string& path, const FamilyConfig& c, const FamilyDataset& d,
                           const ParamLayout& L, std::vector<float>& params, int64_t items) {
  if (c.quant == Quant::fp) fail(path, "quant", "a trace records the integer path: the model must be b1.58 or b1.58-median");
  if (items < 1) fail(path, "--items", "must be >= 1");
  io::SafetensorsWriter w;
  io::Json records = io::Json::array();
  std::vector<FamilyOp> ops;
  DenseObserver obs = [&](const std::string& name, const DenseSpec&, const DenseRecord& r) {
    const std::string p = name + ".";
    for (const auto& e : records)
      if (e["name"] == name) fail(path, name, "two BitLinear calls share a record name");
    w.add(p + "x_q", io::DType::I8, {r.T, r.K}, r.x_q.data(), r.x_q.size());
    w.add_f32(p + "x_scale", {r.T}, r.x_scale.data());
    w.add(p + "w_q", io::DType::I8, {r.N, r.K}, r.w_q.data(), r.w_q.size());
    w.add_f32(p + "w_scale", {1}, r.w_scale.data());
    w.add(p + "acc", io::DType::I32, {r.T, r.N}, r.acc.data(), r.acc.size() * sizeof(int32_t));
    w.add_f32(p + "y", {r.T, r.N}, r.y.data());
    records.push_back({{"name", name}, {"T", r.T}, {"K", r.K}, {"N", r.N}});
  };
  Batch b;
  b.test = true;
  b.noise_seed = 0xe5a1ULL;
  int64_t n_items = items;
  if (c.transformer()) {
    n_items = std::min<int64_t>(items, int64_t(d.test_seqs.size()));
    for (int64_t i = 0; i < n_items; ++i) b.rows.push_back(i);
  } else if (c.family == Family::gcn) {
    n_items = 1;  // the GCN runs the whole graph at once
    b.rows = d.test_rows;
  } else {
    n_items = std::min<int64_t>(items, int64_t(d.test_rows.size()));
    b.rows.assign(d.test_rows.begin(), d.test_rows.begin() + n_items);
  }
  Tape<float> tp;
  tp.set_inference(&obs);
  tp.set_op_log(&ops);
  family_forward<float>(tp, c, d, L, params.data(), nullptr, b, nullptr, nullptr);
  io::Json oj = io::Json::array();
  for (const auto& o : ops) oj.push_back(op_json(o));
  w.set_metadata("format", kFamilyTraceFormat);
  w.set_metadata("version", "1");
  w.set_metadata("config", family_config_json(c));
  w.set_metadata("items", std::to_string(n_items));
  w.set_metadata("records", records.dump());
  w.set_metadata("ops", oj.dump());
  w.set_metadata("scale_convention", kFamilyScaleConvention);
  w.write(path);
  return int64_t(records.size());
}

FamilyTrace FamilyTrace::open(const std::string& path) {
  FamilyTrace t(io::SafetensorsFile::open(path));
  const auto& md = t.file_.metadata();
  auto meta = [&](const std::string& k) {
    auto it = md.find(k);
    if (it == md.end()) fail(path, "__metadata__." + k, "missing");
    return it->second;
  };
  if (meta("format") != kFamilyTraceFormat) fail(path, "__metadata__.format", std::string("expected \"") + kFamilyTraceFormat + "\"");
  if (meta("version") != "1") fail(path, "__metadata__.version", "unsupported version " + meta("version"));
  t.config_ = parse_family_config(meta("config"), path + " (__metadata__.config)");
  try {
    t.items_ = std::stoll(meta("items"));
  } catch (const std::exception&) {
    fail(path, "__metadata__.items", "not an integer");
  }
  if (t.items_ < 1) fail(path, "__metadata__.items", "must be >= 1");
  const io::Json recs = io::parse_json(meta("records"), path + " (__metadata__.records)");
  if (!recs.is_array() || recs.empty()) fail(path, "__metadata__.records", "must be a non-empty array");
  size_t used = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    const std::string field = "__metadata__.records[" + std::to_string(i) + "]";
    if (!recs[i].is_object()) fail(path, field, "must be an object");
    io::JsonFields f(recs[i], path, field + ".");
    FamilyTraceRecord r;
    r.name = f.get<std::string>("name");
    r.T = f.get_int("T", 1, 1LL << 40), r.K = f.get_int("K", 1, 1LL << 40), r.N = f.get_int("N", 1, 1LL << 40);
    f.finish();
    const std::string p = r.name + ".";
    const io::SafetensorsFile& F = t.file_;
    r.x_q = F.data_as<int8_t>(F.expect(p + "x_q", io::DType::I8, {r.T, r.K}));
    r.x_scale = F.data_as<float>(F.expect(p + "x_scale", io::DType::F32, {r.T}));
    r.w_q = F.data_as<int8_t>(F.expect(p + "w_q", io::DType::I8, {r.N, r.K}));
    r.w_scale = F.data_as<float>(F.expect(p + "w_scale", io::DType::F32, {1}));
    r.acc = F.data_as<int32_t>(F.expect(p + "acc", io::DType::I32, {r.T, r.N}));
    r.y = F.data_as<float>(F.expect(p + "y", io::DType::F32, {r.T, r.N}));
    used += 6;
    for (int64_t k = 0; k < r.N * r.K; ++k)
      if (r.w_q[k] < -1 || r.w_q[k] > 1) fail(path, p + "w_q", "value outside {-1, 0, 1}");
    for (int64_t k = 0; k < r.T; ++k)
      if (!std::isfinite(r.x_scale[k]) || r.x_scale[k] <= 0) fail(path, p + "x_scale", "must be finite and positive");
    if (!std::isfinite(r.w_scale[0]) || r.w_scale[0] <= 0) fail(path, p + "w_scale", "must be finite and positive");
    t.records_.push_back(r);
  }
  if (used != t.file_.tensors().size()) fail(path, "", "the trace has tensors that belong to no record");
  const io::Json ops = io::parse_json(meta("ops"), path + " (__metadata__.ops)");
  if (!ops.is_array()) fail(path, "__metadata__.ops", "must be an array");
  size_t n_bit = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    t.ops_.push_back(op_from_json(ops[i], path, "__metadata__.ops[" + std::to_string(i) + "]"));
    if (t.ops_.back().kind == "bitlinear") {
      const FamilyOp& o = t.ops_.back();
      if (n_bit >= t.records_.size() || t.records_[n_bit].name != o.name || t.records_[n_bit].T != o.T ||
          t.records_[n_bit].K != o.K || t.records_[n_bit].N != o.N)
        fail(path, "__metadata__.ops[" + std::to_string(i) + "]", "bitlinear op does not match the records in order");
      ++n_bit;
    }
  }
  if (n_bit != t.records_.size()) fail(path, "__metadata__.ops", "not every record has its bitlinear op");
  return t;
}

FamilyWorkload family_workload(const FamilyTrace& t) {
  FamilyWorkload w;
  w.config = t.config();
  w.name = (t.config().name.empty() ? std::string(family_name(t.config().family)) : t.config().name);
  w.items = t.items();
  w.ops = t.ops();
  double zero_macs = 0;
  for (const auto& r : t.records()) {
    int64_t zeros = 0;
    for (int64_t k = 0; k < r.N * r.K; ++k) zeros += r.w_q[k] == 0;
    w.bitlinear_macs += double(r.T) * double(r.N) * double(r.K);
    zero_macs += double(r.T) * double(zeros);
  }
  w.zero_weight_mac_fraction = w.bitlinear_macs > 0 ? zero_macs / w.bitlinear_macs : 0;
  return w;
}

}  // namespace abacus::families
