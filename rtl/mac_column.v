// One int8 multiply-accumulate column of the same shape as ternary_column (K_T lanes, same
// pipeline), with real 8x8 multipliers. Used only for area/energy comparison with the
// ternary column. Latency from act/w to the tree output: 1 + ceil(clog2(K_T) / 2).
module mac_column #(
  parameter K_T = 16,
  parameter ACC_W = 32
) (
  input  wire               clk,
  input  wire               rst,
  input  wire [K_T*8-1:0]   act,
  input  wire [K_T*8-1:0]   w,
  input  wire               acc_en,
  input  wire               acc_clear,
  output reg  [ACC_W-1:0]   acc
);
  localparam H = $clog2(K_T);
  wire [K_T*16-1:0] lane;
  wire [16+H-1:0]   tree_sum;

  genvar g;
  generate
    for (g = 0; g < K_T; g = g + 1) begin : g_lane
      reg [15:0] q;
      always @(posedge clk) q <= $signed(act[g*8 +: 8]) * $signed(w[g*8 +: 8]);
      assign lane[g*16 +: 16] = q;
    end
  endgenerate

  adder_tree #(.N(K_T), .W(16), .ROOT_H(H)) u_tree (.clk(clk), .in_flat(lane), .sum(tree_sum));

  always @(posedge clk) begin
    if (rst)
      acc <= {ACC_W{1'b0}};
    else if (acc_en)
      acc <= (acc_clear ? {ACC_W{1'b0}} : acc) + {{(ACC_W-16-H){tree_sum[16+H-1]}}, tree_sum};
  end
endmodule
