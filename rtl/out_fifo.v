// Output FIFO of the tile: DEPTH entries of W bits, valid/ready on the read side. The writer
// never pushes when full (the tile reserves a slot before it accepts a token's last beat).
module out_fifo #(
  parameter W = 128,
  parameter DEPTH = 8
) (
  input  wire                     clk,
  input  wire                     rst,
  input  wire                     push,
  input  wire [W-1:0]             push_data,
  output wire                     out_valid,
  input  wire                     out_ready,
  output wire [W-1:0]             out_data,
  output reg  [$clog2(DEPTH):0]   count
);
  localparam AW = $clog2(DEPTH);
  reg [W-1:0]  mem [0:DEPTH-1];
  reg [AW-1:0] rd;
  reg [AW-1:0] wr;
  wire pop = out_valid && out_ready;

  assign out_valid = count != 0;
  assign out_data = mem[rd];

  always @(posedge clk) begin
    if (rst) begin
      rd <= {AW{1'b0}};
      wr <= {AW{1'b0}};
      count <= {(AW+1){1'b0}};
    end else begin
      if (push) begin
        mem[wr] <= push_data;
        wr <= wr + 1'b1;
      end
      if (pop)
        rd <= rd + 1'b1;
      count <= count + {{AW{1'b0}}, push} - {{AW{1'b0}}, pop};
    end
  end
endmodule
