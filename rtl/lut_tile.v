// The LUT tile (b1.58 weights): groups of LUT_G weights looked up in one shared table of
// partial sums per activation beat (lut_table.v, lut_column.v). Same ports and weight codes as
// ternary_tile; the codes are re-encoded to table indices as they are loaded.
// Ports: see gemm_tile.v and rtl/README.md.
module lut_tile #(
  parameter N_T = 8,
  parameter K_T = 16,
  parameter ACC_W = 32,
  parameter ACC_SAT = 0,
  parameter LUT_G = 4,
  parameter MAX_KS = 64,
  parameter FIFO_DEPTH = 8
) (
  input  wire                  clk,
  input  wire                  rst_n,
  input  wire                  cmd_valid,
  output wire                  cmd_ready,
  output wire                  cmd_error,
  input  wire [1:0]            cmd_op,
  input  wire [15:0]           cmd_tokens,
  input  wire [15:0]           cmd_ksteps,
  input  wire                  w_valid,
  output wire                  w_ready,
  input  wire [N_T*K_T*2-1:0]  w_data,
  input  wire                  act_valid,
  output wire                  act_ready,
  input  wire [K_T*8-1:0]      act_data,
  output wire                  out_valid,
  input  wire                  out_ready,
  output wire [N_T*ACC_W-1:0]  out_data
);
  gemm_tile #(.N_T(N_T), .K_T(K_T), .ACC_W(ACC_W), .ACC_SAT(ACC_SAT), .ARCH(3), .LUT_G(LUT_G),
              .MAX_KS(MAX_KS), .FIFO_DEPTH(FIFO_DEPTH)) u_tile (
    .clk(clk), .rst_n(rst_n), .cmd_valid(cmd_valid), .cmd_ready(cmd_ready), .cmd_error(cmd_error), .cmd_op(cmd_op),
    .cmd_tokens(cmd_tokens), .cmd_ksteps(cmd_ksteps), .w_valid(w_valid), .w_ready(w_ready),
    .w_data(w_data), .act_valid(act_valid), .act_ready(act_ready), .act_data(act_data),
    .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data));
endmodule
