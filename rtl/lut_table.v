// Table precompute of the LUT PE, shared by all N_T columns: per group of G activations
// (K_T lanes cut into NG = ceil(K_T / G) groups, the last one padded with zero activations)
// the HT = (3^G + 1) / 2 partial sums sum_i d_i a_i of the weight patterns with a
// non-negative balanced-ternary value m = sum_i d_i 3^i (rtl/lut_math.vh). Built with one
// adder per entry: entry m = a_j + entry(m - 3^j), j = m's leading digit, where a negative
// index -r means -entry(r). Registered on a valid beat (TW = 9 + clog2(G) bits per entry).
module lut_table (clk, en, act, table_q);
  parameter K_T = 8;
  parameter G = 4;
  `include "lut_math.vh"
  localparam NG = (K_T + G - 1) / G;
  localparam HT = (lut_pow3(G) + 1) / 2;
  localparam TW = 9 + $clog2(G);
  input  wire                clk;
  input  wire                en;
  input  wire [K_T*8-1:0]    act;
  output reg  [NG*HT*TW-1:0] table_q;
  wire [NG*HT*TW-1:0] table_d;
  genvar grp, m;
  generate
    for (grp = 0; grp < NG; grp = grp + 1) begin : g_grp
      wire [TW-1:0] e [0:HT-1] /* verilator split_var */;
      assign e[0] = {TW{1'b0}};
      for (m = 1; m < HT; m = m + 1) begin : g_ent
        localparam integer J = lut_lead(m);
        localparam integer R = m - lut_pow3(J);  // in [-(3^J-1)/2, (3^J-1)/2]
        localparam integer LANE = grp * G + J;
        wire [TW-1:0] a;
        if (LANE < K_T) begin : g_a
          assign a = {{(TW-8){act[LANE*8+7]}}, act[LANE*8 +: 8]};
        end else begin : g_pad
          assign a = {TW{1'b0}};
        end
        if (R >= 0) begin : g_add
          assign e[m] = a + e[R];
        end else begin : g_sub
          assign e[m] = a - e[-R];
        end
      end
      for (m = 0; m < HT; m = m + 1) begin : g_flat
        assign table_d[(grp*HT + m)*TW +: TW] = e[m];
      end
    end
  endgenerate
  always @(posedge clk) if (en) table_q <= table_d;
endmodule
