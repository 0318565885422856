// Weight-load encoder of the LUT PE: one group of G 2-bit ternary codes (00 = 0, 01 = +1,
// 11 = -1, 10 = 0) to its table index {sign, |v|}, v = sum_i d_i 3^i (rtl/lut_math.vh).
// IW = 1 + clog2(HT) bits per group: 4, 5, 7, 8 for G = 2..5 (2, 1.67, 1.75, 1.6 bits/weight).
module lut_encode (codes, idx);
  parameter G = 4;
  `include "lut_math.vh"
  localparam HT = (lut_pow3(G) + 1) / 2;
  localparam IW = 1 + lut_clog2(HT);
  localparam VW = IW + 1;  // signed |v| <= HT - 1
  input  wire [2*G-1:0] codes;
  output wire [IW-1:0]  idx;
  wire [VW-1:0] term [0:G] /* verilator split_var */;
  assign term[0] = {VW{1'b0}};
  genvar i;
  generate
    for (i = 0; i < G; i = i + 1) begin : g_d
      localparam integer PI = lut_pow3(i);
      wire [VW-1:0] P = PI[VW-1:0];
      wire [1:0] c = codes[i*2 +: 2];
      assign term[i+1] = term[i] + ((c == 2'b01) ? P : (c == 2'b11) ? -P : {VW{1'b0}});
    end
  endgenerate
  wire [VW-1:0] v = term[G];
  wire [VW-1:0] mag = v[VW-1] ? -v : v;
  assign idx = {v[VW-1], mag[IW-2:0]};
  wire unused_mag = &{1'b0, mag[VW-1:IW-1]};
endmodule
