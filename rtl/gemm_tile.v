// Weight-stationary GEMM tile: N_T columns share one activation broadcast of K_T int8 values
// per cycle. ARCH 0 = ternary columns (b1.58), 1 = binary columns (b1), 2 = int8 MAC columns,
// 3 = LUT columns (b1.58, groups of LUT_G weights stored as table indices, one shared table).
//
// Command interface (accepted when cmd_ready, i.e. the tile is idle):
//   op 0 LOAD_W : take cmd_ksteps weight beats; beat k holds k-step k of every column.
//   op 1 RUN    : take cmd_tokens * cmd_ksteps activation beats (token-major, k-steps inner);
//                 every token's last k-step produces one output beat (N_T accumulators).
//   op 2 DRAIN  : wait until every result of the run has left on the output stream.
//   Illegal commands (op 3; LOAD_W with 0 or > MAX_KS k-steps; RUN with 0 tokens, 0 k-steps or
//   more k-steps than the last LOAD_W loaded) are consumed without effect and set cmd_error,
//   which stays set until reset.
// Streams are valid/ready. w_data packs weight (n, k) at bit (n*K_T + k)*WS, WS = 2 (ternary /
// binary codes 00 = 0, 01 = +1, 11 = -1) or 8 (int8, MAC). act_data packs activation k at
// bit 8k; out_data packs column n's ACC_W-bit accumulator at bit n*ACC_W.
// One activation beat per cycle while the output FIFO has room: a token's last beat is only
// accepted when a FIFO slot is free for its result, so output backpressure stalls the input.
module gemm_tile #(
  parameter N_T = 8,
  parameter K_T = 16,
  parameter ACC_W = 32,
  parameter ACC_SAT = 0,      // accumulator: 0 wraps, 1 saturates (acc_unit.v)
  parameter ARCH = 0,
  parameter LUT_G = 4,        // ARCH 3: weights per table lookup
  parameter MAX_KS = 64,      // k-steps of weights held per column (K up to MAX_KS * K_T)
  parameter FIFO_DEPTH = 8,
  parameter WS = (ARCH == 2) ? 8 : 2,
  parameter WB = (ARCH == 1) ? 1 : WS
) (
  input  wire                   clk,
  input  wire                   rst_n,
  input  wire                   cmd_valid,
  output wire                   cmd_ready,
  output reg                    cmd_error,
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
  `include "lut_math.vh"
  localparam LUT_NG = (K_T + LUT_G - 1) / LUT_G;
  localparam LUT_IW = 1 + lut_clog2((lut_pow3(LUT_G) + 1) / 2);
  localparam LUT_TW = 9 + $clog2(LUT_G);
  localparam LUT_HT = (lut_pow3(LUT_G) + 1) / 2;
  // Register stages from an accepted activation beat to the tree output: lane register + tree
  // registers; LUT: table register + lookup register + tree registers over the groups.
  localparam PIPE = (ARCH == 3) ? 2 + ($clog2(LUT_NG) + 1) / 2 : 1 + ($clog2(K_T) + 1) / 2;
  localparam WROW = (ARCH == 3) ? N_T * LUT_NG * LUT_IW : N_T * K_T * WB;  // stored bits per k-step
  localparam KW = $clog2(MAX_KS);
  localparam CW = $clog2(FIFO_DEPTH) + 1;

  wire rst = !rst_n;
  reg [1:0]  state;
  reg [15:0] ksteps;
  reg [15:0] tokens_left;
  reg [15:0] kidx;
  reg [CW-1:0] inflight;  // tokens whose last beat was accepted but whose result is not queued
  wire [CW-1:0] fifo_count;

  // Weight registers: MAX_KS k-steps of N_T * K_T weights, WB bits stored per weight (LUT:
  // LUT_IW bits per group of LUT_G weights).
  reg [WROW-1:0] wmem [0:MAX_KS-1];
  wire [WROW-1:0] w_store;
  genvar n;
  generate
    if (ARCH == 3) begin : g_lutpack
      for (n = 0; n < N_T * LUT_NG; n = n + 1) begin : g_grp
        localparam integer COL = n / LUT_NG, GRP = n % LUT_NG;
        wire [2*LUT_G-1:0] codes;
        genvar i;
        for (i = 0; i < LUT_G; i = i + 1) begin : g_code
          if (GRP * LUT_G + i < K_T) begin : g_real
            assign codes[i*2 +: 2] = w_data[(COL*K_T + GRP*LUT_G + i)*2 +: 2];
          end else begin : g_pad
            assign codes[i*2 +: 2] = 2'b00;
          end
        end
        lut_encode #(.G(LUT_G)) u_enc (.codes(codes), .idx(w_store[n*LUT_IW +: LUT_IW]));
      end
    end else
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
  reg [15:0] loaded_ks;  // k-steps held by the weight registers (the last LOAD_W)
  wire cmd_fire = cmd_valid && cmd_ready;
  wire ks_ok = cmd_ksteps != 16'd0 && {16'd0, cmd_ksteps} <= MAX_KS;
  wire cmd_legal = (cmd_op == 2'd0 && ks_ok) ||
                   (cmd_op == 2'd1 && ks_ok && cmd_tokens != 16'd0 && cmd_ksteps <= loaded_ks) ||
                   cmd_op == 2'd2;
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
    end else if (act_fire || |sb_valid) begin  // idle: no toggles
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
      cmd_error <= 1'b0;
      loaded_ks <= 16'd0;
    end else begin
      if (cmd_fire && !cmd_legal) cmd_error <= 1'b1;
      if (cmd_fire && cmd_legal && cmd_op == 2'd0) loaded_ks <= cmd_ksteps;
      inflight <= inflight + {{(CW-1){1'b0}}, act_fire && last_k} - {{(CW-1){1'b0}}, push};
      case (state)
        S_IDLE:
          if (cmd_valid && cmd_legal) begin
            ksteps <= cmd_ksteps;
            tokens_left <= cmd_tokens;
            kidx <= 16'd0;
            state <= cmd_op == 2'd0 ? S_LOAD : cmd_op == 2'd1 ? S_RUN : S_DRAIN;
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
  // The LUT columns look up one cycle after the beat (the table register stage), so they read
  // the weights of the k-step registered with it. A LOAD_W cannot overwrite them first: its
  // command takes the cycle after the run's last beat.
  reg [KW-1:0] kidx_q;
  always @(posedge clk) if (act_fire) kidx_q <= kidx[KW-1:0];
  wire [WROW-1:0] w_cur = wmem[ARCH == 3 ? kidx_q : kidx[KW-1:0]];

  // Columns.
  wire [N_T*ACC_W-1:0] accs;
  generate
    if (ARCH == 3) begin : g_lut
      wire [LUT_NG*LUT_HT*LUT_TW-1:0] table_q;
      lut_table #(.K_T(K_T), .G(LUT_G)) u_table (.clk(clk), .en(act_fire), .act(act_data), .table_q(table_q));
      reg table_valid;  // the table register holds a valid beat: the lookup stage's enable
      always @(posedge clk) table_valid <= !rst && act_fire;
      for (n = 0; n < N_T; n = n + 1) begin : g_col
        lut_column #(.K_T(K_T), .G(LUT_G), .ACC_W(ACC_W), .ACC_SAT(ACC_SAT)) u_col (
          .clk(clk), .rst(rst), .lane_en(table_valid), .table_q(table_q),
          .w(w_cur[n*LUT_NG*LUT_IW +: LUT_NG*LUT_IW]), .acc_en(acc_en), .acc_clear(sb_first[PIPE-1]),
          .acc(accs[n*ACC_W +: ACC_W]));
      end
    end else begin : g_cols
      for (n = 0; n < N_T; n = n + 1) begin : g_col
        if (ARCH == 2) begin : g_mac
          mac_column #(.K_T(K_T), .ACC_W(ACC_W), .ACC_SAT(ACC_SAT)) u_col (
            .clk(clk), .rst(rst), .lane_en(act_fire), .act(act_data), .w(w_cur[n*K_T*WB +: K_T*WB]),
            .acc_en(acc_en), .acc_clear(sb_first[PIPE-1]), .acc(accs[n*ACC_W +: ACC_W]));
        end else begin : g_ternary
          ternary_column #(.K_T(K_T), .ACC_W(ACC_W), .ACC_SAT(ACC_SAT), .BINARY(ARCH == 1 ? 1 : 0)) u_col (
            .clk(clk), .rst(rst), .lane_en(act_fire), .act(act_data), .w(w_cur[n*K_T*WB +: K_T*WB]),
            .acc_en(acc_en), .acc_clear(sb_first[PIPE-1]), .acc(accs[n*ACC_W +: ACC_W]));
        end
      end
    end
  endgenerate

  out_fifo #(.W(N_T*ACC_W), .DEPTH(FIFO_DEPTH)) u_fifo (
    .clk(clk), .rst(rst), .push(push), .push_data(accs), .out_valid(out_valid),
    .out_ready(out_ready), .out_data(out_data), .count(fifo_count));

  wire unused_k = &{1'b0, kidx[15:KW]};

`ifndef SYNTHESIS
  // Protocol checks: assertions in Verilator --assert runs and in the formal proof
  // (rtl/formal/); the input-stream rules are assumptions there (FORMAL).
  reg past_ok;  // the previous cycle was out of reset
  reg past_out_stall, past_act_stall, past_w_stall, past_cmd_stall;
  reg [N_T*ACC_W-1:0] past_out_data;
  reg [K_T*8-1:0] past_act_data;
  always @(posedge clk) begin
    past_ok <= !rst;
    past_out_stall <= out_valid && !out_ready;
    past_act_stall <= act_valid && !act_ready;
    past_w_stall <= w_valid && !w_ready;
    past_cmd_stall <= cmd_valid && !cmd_ready;
    past_out_data <= out_data;
    past_act_data <= act_data;
  end
  always @(posedge clk) begin
    if (!rst && past_ok) begin
`ifdef FORMAL
      // A sender keeps valid (and its data) until the beat is taken.
      if (past_act_stall) assume (act_valid && act_data == past_act_data);
      if (past_w_stall) assume (w_valid);
      if (past_cmd_stall) assume (cmd_valid);
`else
      if (past_act_stall) assert (act_valid && act_data == past_act_data);
      if (past_w_stall) assert (w_valid);
      if (past_cmd_stall) assert (cmd_valid);
`endif
      // The tile keeps an offered result, unchanged, until it is taken.
      if (past_out_stall) assert (out_valid && out_data == past_out_data);
      // Results in flight never exceed the FIFO slots reserved for them.
      assert ({1'b0, fifo_count} + {1'b0, inflight} <= FIFO_DEPTH);
      assert (!(push && fifo_count == FIFO_DEPTH));
      // Streams are ready only in their state.
      assert (!(w_ready && act_ready));
      assert (!act_ready || state == S_RUN);
    end
  end
`endif
endmodule
