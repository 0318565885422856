// One ternary processing column: K_T int8 activations times K_T weights in {-1, 0, +1}.
// Weight codes (shared with src/quant packing): 00 = 0, 01 = +1, 11 = -1, 10 = 0 (invalid).
// No multipliers: each lane register takes +a, -a or 0; a zero weight gates its lane (the
// register loads 0, so the adder tree sees no toggles from it). BINARY = 1 is the b1 column:
// one stored bit per weight (0 = +1, 1 = -1), no zero gate. Lane registers load only on a valid
// beat (lane_en), so idle cycles and stalls do not toggle the tree either.
// Latency from act/w to the tree output: 1 (lane register) + ceil(clog2(K_T) / 2).
module ternary_column #(
  parameter K_T = 16,
  parameter ACC_W = 32,
  parameter ACC_SAT = 0,
  parameter BINARY = 0,
  parameter WB = (BINARY != 0) ? 1 : 2  // stored bits per weight
) (
  input  wire               clk,
  input  wire               rst,
  input  wire               lane_en,    // act/w are a valid beat
  input  wire [K_T*8-1:0]   act,
  input  wire [K_T*WB-1:0]  w,
  input  wire               acc_en,     // the tree output belongs to a valid beat
  input  wire               acc_clear,  // ... and it is the first k-step of a token
  output wire [ACC_W-1:0]   acc
);
  localparam H = $clog2(K_T);
  wire [K_T*9-1:0] lane;
  wire [9+H-1:0]   tree_sum;

  genvar g;
  generate
    for (g = 0; g < K_T; g = g + 1) begin : g_lane
      wire [8:0] a = {act[g*8+7], act[g*8 +: 8]};
      reg  [8:0] q;
      if (BINARY != 0) begin : g_b1
        always @(posedge clk) if (lane_en) q <= w[g] ? -a : a;
      end else begin : g_b158
        wire [1:0] code = w[g*2 +: 2];
        always @(posedge clk) if (lane_en) q <= (code == 2'b01) ? a : (code == 2'b11) ? -a : 9'd0;
      end
      assign lane[g*9 +: 9] = q;
    end
  endgenerate

  adder_tree #(.N(K_T), .W(9), .ROOT_H(H)) u_tree (.clk(clk), .in_flat(lane), .sum(tree_sum));
  acc_unit #(.IN_W(9+H), .ACC_W(ACC_W), .SAT(ACC_SAT)) u_acc (
    .clk(clk), .rst(rst), .en(acc_en), .clear(acc_clear), .part(tree_sum), .acc(acc));
endmodule
