// The tiny model shape whose energy tests are worked out by hand: hidden 8, FFN 16 (GLU),
// 2 layers, 2 heads of 4, 1 KV head.
#pragma once
#include "energy/model_shape.h"

inline abacus::energy::ModelShape tiny_shape(bool bitnet) {
  abacus::energy::ModelShape s;
  s.name = "tiny";
  s.hidden = 8;
  s.intermediate = 16;
  s.layers = 2;
  s.heads = 2;
  s.kv_heads = 1;
  s.head_dim = 4;
  s.glu = true;
  s.bitnet = bitnet;
  return s;
}
