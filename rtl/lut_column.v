// One LUT processing column (T-MAC / LUT Tensor Core style): per group of G activations the
// column looks up its weight group's partial sum in the shared table (lut_table.v) by the
// stored index {sign, m} and negates it for sign = 1, one lookup register per group (loaded
// on a valid beat), then an adder tree over the NG groups (padded to a power of two with
// zeros) and the accumulator. Latency from the table register to the tree output:
// 1 (lookup register) + ceil(clog2(NGP) / 2).
module lut_column (clk, rst, lane_en, table_q, w, acc_en, acc_clear, acc);
  parameter K_T = 8;
  parameter G = 4;
  parameter ACC_W = 32;
  parameter ACC_SAT = 0;
  `include "lut_math.vh"
  localparam NG = (K_T + G - 1) / G;
  localparam HT = (lut_pow3(G) + 1) / 2;
  localparam TW = 9 + $clog2(G);
  localparam IW = 1 + lut_clog2(HT);
  localparam H = $clog2(NG);
  localparam NGP = 1 << H;
  input wire clk;
  input wire rst;
  input wire lane_en;
  input wire [NG*HT*TW-1:0] table_q;
  input wire [NG*IW-1:0] w;
  input wire acc_en;
  input wire acc_clear;
  output wire [ACC_W-1:0] acc;
  wire [NGP*TW-1:0] lane;
  wire [TW+H-1:0]   tree_sum;

  genvar grp;
  generate
    for (grp = 0; grp < NGP; grp = grp + 1) begin : g_lane
      if (grp < NG) begin : g_lookup
        wire [IW-2:0] m = w[grp*IW +: IW-1];
        wire neg = w[grp*IW + IW-1];
        reg [TW-1:0] e;
        integer i;
        always @* begin  // HT:1 multiplexer
          e = {TW{1'b0}};
          for (i = 0; i < HT; i = i + 1)
            if (m == i[IW-2:0]) e = table_q[(grp*HT + i)*TW +: TW];
        end
        reg [TW-1:0] q;
        always @(posedge clk) if (lane_en) q <= neg ? -e : e;
        assign lane[grp*TW +: TW] = q;
      end else begin : g_pad
        assign lane[grp*TW +: TW] = {TW{1'b0}};
      end
    end
  endgenerate

  adder_tree #(.N(NGP), .W(TW), .ROOT_H(H)) u_tree (.clk(clk), .in_flat(lane), .sum(tree_sum));
  acc_unit #(.IN_W(TW+H), .ACC_W(ACC_W), .SAT(ACC_SAT)) u_acc (
    .clk(clk), .rst(rst), .en(acc_en), .clear(acc_clear), .part(tree_sum), .acc(acc));
endmodule
