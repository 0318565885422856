// Pipelined signed adder tree: sums N inputs of W bits into W + clog2(N) bits.
// Built recursively (two half trees and one adder per node). A node is registered at every
// even height and at the root, so at most two adder levels sit between registers and the
// latency is ceil(clog2(N) / 2) cycles. N must be a power of two.
module adder_tree #(
  parameter N = 8,
  parameter W = 9,
  parameter ROOT_H = 3  // clog2 of the top-level N (decides where registers go)
) (
  input  wire                   clk,
  input  wire [N*W-1:0]         in_flat,
  output wire [W+$clog2(N)-1:0] sum
);
  generate
    if (N == 1) begin : g_leaf
      wire unused_clk = clk;
      assign sum = in_flat;
    end else begin : g_node
      localparam H = $clog2(N);
      localparam HW = W + H - 1;  // width of each half tree's sum
      wire [HW-1:0] lo;
      wire [HW-1:0] hi;
      adder_tree #(.N(N / 2), .W(W), .ROOT_H(ROOT_H)) u_lo (
        .clk(clk), .in_flat(in_flat[N/2*W-1:0]), .sum(lo));
      adder_tree #(.N(N / 2), .W(W), .ROOT_H(ROOT_H)) u_hi (
        .clk(clk), .in_flat(in_flat[N*W-1:N/2*W]), .sum(hi));
      wire [HW:0] s = {lo[HW-1], lo} + {hi[HW-1], hi};
      if (H % 2 == 0 || H == ROOT_H) begin : g_reg
        reg [HW:0] q;
        always @(posedge clk) q <= s;
        assign sum = q;
      end else begin : g_comb
        assign sum = s;
      end
    end
  endgenerate
endmodule
