// The ACC_W-bit accumulator of one column. Each valid beat adds the exact partial sum of one
// K_T-wide k-step (IN_W bits, signed) into it; SAT = 0 wraps modulo 2^ACC_W (two's complement),
// SAT = 1 clamps to [-2^(ACC_W-1), 2^(ACC_W-1)-1] after every add. This is the accumulation
// semantics the simulator and the software emulation share (rtl/README.md "Accumulator").
module acc_unit #(
  parameter IN_W = 13,
  parameter ACC_W = 32,
  parameter SAT = 0
) (
  input  wire              clk,
  input  wire              rst,
  input  wire              en,     // the partial sum belongs to a valid beat
  input  wire              clear,  // ... and it is the first k-step of a token
  input  wire [IN_W-1:0]   part,
  output reg  [ACC_W-1:0]  acc
);
  localparam SW = (ACC_W > IN_W ? ACC_W : IN_W) + 1;  // holds acc + part exactly
  wire [ACC_W-1:0] base = clear ? {ACC_W{1'b0}} : acc;
  wire [SW-1:0] sum = {{(SW-ACC_W){base[ACC_W-1]}}, base} + {{(SW-IN_W){part[IN_W-1]}}, part};
  wire [ACC_W-1:0] next;
  generate
    if (SAT != 0) begin : g_sat
      // In range iff the bits above ACC_W-1 are copies of bit ACC_W-1.
      wire fits = sum[SW-1:ACC_W-1] == {(SW-ACC_W+1){sum[SW-1]}};
      assign next = fits ? sum[ACC_W-1:0] : sum[SW-1] ? {1'b1, {(ACC_W-1){1'b0}}} : {1'b0, {(ACC_W-1){1'b1}}};
    end else begin : g_wrap
      assign next = sum[ACC_W-1:0];
      wire unused_hi = &{1'b0, sum[SW-1:ACC_W]};
    end
  endgenerate
  always @(posedge clk) begin
    if (rst)
      acc <= {ACC_W{1'b0}};
    else if (en)
      acc <= next;
  end
endmodule
