// One int8 multiply-accumulate column of the same shape as ternary_column (K_T lanes, same
// pipeline), with real 8x8 multipliers. Used only for area/energy comparison with the
// ternary column. Latency from act/w to the tree output: 1 + ceil(clog2(K_T) / 2).
module mac_column #(
  parameter K_T = 16,
  parameter ACC_W = 32,
  parameter ACC_SAT = 0
) (
  input  wire               clk,
  input  wire               rst,
  input  wire               lane_en,
  input  wire [K_T*8-1:0]   act,
  input  wire [K_T*8-1:0]   w,
  input  wire               acc_en,
  input  wire               acc_clear,
  output wire [ACC_W-1:0]   acc
);
  localparam H = $clog2(K_T);
  wire [K_T*16-1:0] lane;
  wire [16+H-1:0]   tree_sum;

  genvar g;
  generate
    for (g = 0; g < K_T; g = g + 1) begin : g_lane
      reg [15:0] q;
      always @(posedge clk) if (lane_en) q <= $signed(act[g*8 +: 8]) * $signed(w[g*8 +: 8]);
      assign lane[g*16 +: 16] = q;
    end
  endgenerate

  adder_tree #(.N(K_T), .W(16), .ROOT_H(H)) u_tree (.clk(clk), .in_flat(lane), .sum(tree_sum));
  acc_unit #(.IN_W(16+H), .ACC_W(ACC_W), .SAT(ACC_SAT)) u_acc (
    .clk(clk), .rst(rst), .en(acc_en), .clear(acc_clear), .part(tree_sum), .acc(acc));
endmodule
