// Weight-stationary GEMM tile: N_T columns share one activation broadcast of K_T int8 values
// per cycle. ARCH 0 = ternary columns (b1.58), 1 = binary columns (b1), 2 = int8 MAC columns.
//
// Command interface (accepted when cmd_ready, i.e. the tile is idle):
//   op 0 LOAD_W : take cmd_ksteps weight beats; beat k holds k-step k of every column.
//   op 1 RUN    : take cmd_tokens * cmd_ksteps activation beats (token-major, k-steps inner);
//                 every token's last k-step produces one output beat (N_T accumulators).
//   op 2 DRAIN  : wait until every result of the run has left on the output stream.
// Streams are valid/ready. w_data packs weight (n, k) at bit (n*K_T + k)*WS, WS = 2 (ternary /
// binary codes 00 = 0, 01 = +1, 11 = -1) or 8 (int8, MAC). act_data packs activation k at
// bit 8k; out_data packs column n's ACC_W-bit accumulator at bit n*ACC_W.
// One activation beat per cycle while the output FIFO has room: a token's last beat is only
// accepted when a FIFO slot is free for its result, so output backpressure stalls the input.
module gemm_tile #(
  parameter N_T = 8,
  parameter K_T = 16,
  parameter ACC_W = 32,
  parameter ARCH = 0,
  parameter MAX_KS = 64,      // k-steps of weights held per column (K up to MAX_KS * K_T)
  parameter FIFO_DEPTH = 8,
  parameter WS = (ARCH == 2) ? 8 : 2,
  parameter WB = (ARCH == 1) ? 1 : WS
) (
  input  wire                   clk,
  input  wire                   rst_n,
  input  wire                   cmd_valid,
  output wire                   cmd_ready,
  input  wire [1:0]             cmd_op,
  input  wire [15:0]            cmd_tokens,
  input  wire [15:0]            cmd_ksteps,
  input  wire                   w_valid,
  output wire                   w_ready,
  input  wire [N_T*K_T*WS-1:0]  w_data,
  input  wire                   act_valid,
  output wire                   act_ready,
  input  wire [K_T*8-1:0]       act_data,
  output wire                   out_valid,
  input  wire                   out_ready,
  output wire [N_T*ACC_W-1:0]   out_data
);
  localparam S_IDLE = 2'd0, S_LOAD = 2'd1, S_RUN = 2'd2, S_DRAIN = 2'd3;
  localparam PIPE = 1 + ($clog2(K_T) + 1) / 2;  // lane register + adder tree registers
  localparam KW = $clog2(MAX_KS);
  localparam CW = $clog2(FIFO_DEPTH) + 1;

  wire rst = !rst_n;
  reg [1:0]  state;
  reg [15:0] ksteps;
  reg [15:0] tokens_left;
  reg [15:0] kidx;
  reg [CW-1:0] inflight;  // tokens whose last beat was accepted but whose result is not queued
  wire [CW-1:0] fifo_count;

  // Weight registers: MAX_KS k-steps of N_T * K_T weights, WB bits stored per weight.
  reg [N_T*K_T*WB-1:0] wmem [0:MAX_KS-1];
  wire [N_T*K_T*WB-1:0] w_store;
  genvar n;
  generate
    for (n = 0; n < N_T * K_T; n = n + 1) begin : g_wpack
      if (ARCH == 1) begin : g_b1
        // b1: keep the sign bit of the code (01 -> 0 = +1, 11 -> 1 = -1).
        assign w_store[n] = w_data[n*2 + 1];
        wire unused_code_bit = w_data[n*2];
      end else begin : g_full
        assign w_store[n*WB +: WB] = w_data[n*WS +: WS];
      end
    end
  endgenerate

  assign cmd_ready = state == S_IDLE;
  assign w_ready = state == S_LOAD;
  wire last_k = kidx == ksteps - 16'd1;
  wire room = ({1'b0, fifo_count} + {1'b0, inflight}) < FIFO_DEPTH;
  assign act_ready = state == S_RUN && (!last_k || room);
  wire act_fire = act_valid && act_ready;
  wire w_fire = w_valid && w_ready;

  // Sideband pipeline (valid, first k-step, last k-step) aligned with the adder tree output.
  reg [PIPE-1:0] sb_valid, sb_first, sb_last;
  always @(posedge clk) begin
    if (rst) begin
      sb_valid <= {PIPE{1'b0}};
      sb_first <= {PIPE{1'b0}};
      sb_last <= {PIPE{1'b0}};
    end else begin
      sb_valid <= {sb_valid[PIPE-2:0], act_fire};
      sb_first <= {sb_first[PIPE-2:0], kidx == 16'd0};
      sb_last <= {sb_last[PIPE-2:0], last_k};
    end
  end
  wire acc_en = sb_valid[PIPE-1];
  reg  push;  // the accumulators now hold a finished token
  always @(posedge clk) push <= !rst && acc_en && sb_last[PIPE-1];

  // Control: command decode, weight load and run counters.
  always @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE;
      ksteps <= 16'd1;
      tokens_left <= 16'd0;
      kidx <= 16'd0;
      inflight <= {CW{1'b0}};
    end else begin
      inflight <= inflight + {{(CW-1){1'b0}}, act_fire && last_k} - {{(CW-1){1'b0}}, push};
      case (state)
        S_IDLE:
          if (cmd_valid) begin
            ksteps <= cmd_ksteps;
            tokens_left <= cmd_tokens;
            kidx <= 16'd0;
            if (cmd_op == 2'd0 && cmd_ksteps != 16'd0) state <= S_LOAD;
            else if (cmd_op == 2'd1 && cmd_tokens != 16'd0 && cmd_ksteps != 16'd0) state <= S_RUN;
            else if (cmd_op == 2'd2) state <= S_DRAIN;
          end
        S_LOAD:
          if (w_fire) begin
            kidx <= last_k ? 16'd0 : kidx + 16'd1;
            if (last_k) state <= S_IDLE;
          end
        S_RUN:
          if (act_fire) begin
            kidx <= last_k ? 16'd0 : kidx + 16'd1;
            if (last_k) begin
              tokens_left <= tokens_left - 16'd1;
              if (tokens_left == 16'd1) state <= S_IDLE;
            end
          end
        default:  // S_DRAIN
          if (inflight == {CW{1'b0}} && fifo_count == {CW{1'b0}} && !push) state <= S_IDLE;
      endcase
    end
  end

  always @(posedge clk) begin
    if (w_fire) wmem[kidx[KW-1:0]] <= w_store;
  end
  wire [N_T*K_T*WB-1:0] w_cur = wmem[kidx[KW-1:0]];

  // Columns.
  wire [N_T*ACC_W-1:0] accs;
  generate
    for (n = 0; n < N_T; n = n + 1) begin : g_col
      if (ARCH == 2) begin : g_mac
        mac_column #(.K_T(K_T), .ACC_W(ACC_W)) u_col (
          .clk(clk), .rst(rst), .act(act_data), .w(w_cur[n*K_T*WB +: K_T*WB]),
          .acc_en(acc_en), .acc_clear(sb_first[PIPE-1]), .acc(accs[n*ACC_W +: ACC_W]));
      end else begin : g_ternary
        ternary_column #(.K_T(K_T), .ACC_W(ACC_W), .BINARY(ARCH == 1 ? 1 : 0)) u_col (
          .clk(clk), .rst(rst), .act(act_data), .w(w_cur[n*K_T*WB +: K_T*WB]),
          .acc_en(acc_en), .acc_clear(sb_first[PIPE-1]), .acc(accs[n*ACC_W +: ACC_W]));
      end
    end
  endgenerate

  out_fifo #(.W(N_T*ACC_W), .DEPTH(FIFO_DEPTH)) u_fifo (
    .clk(clk), .rst(rst), .push(push), .push_data(accs), .out_valid(out_valid),
    .out_ready(out_ready), .out_data(out_data), .count(fifo_count));

  wire unused_k = &{1'b0, kidx[15:KW]};
endmodule
