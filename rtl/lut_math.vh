// Constant functions of the LUT PE (included inside lut_* modules).
// A group of G ternary weights d_0..d_{G-1} is the balanced-ternary number v = sum d_i 3^i,
// |v| <= (3^G - 1) / 2. The table holds the partial sums of the patterns with v >= 0, entry
// m = v; a pattern with v < 0 is the negated entry -v (sum(-d_i a_i) = -sum(d_i a_i)).
function integer lut_pow3(input integer n);
  integer i;
  begin
    lut_pow3 = 1;
    for (i = 0; i < n; i = i + 1) lut_pow3 = lut_pow3 * 3;
  end
endfunction
// Position of the leading (+1) digit of m >= 1: the j with (3^j + 1) / 2 <= m <= (3^(j+1) - 1) / 2.
function integer lut_lead(input integer m);
  integer j;
  begin
    lut_lead = 0;
    for (j = 0; j < 8; j = j + 1)
      if ((lut_pow3(j) + 1) / 2 <= m) lut_lead = j;
  end
endfunction
// ceil(log2(n)) (Yosys 0.23 cannot apply $clog2 to a constant function's result).
function integer lut_clog2(input integer n);
  integer i;
  begin
    lut_clog2 = 0;
    for (i = 0; i < 31; i = i + 1)
      if ((1 << i) < n) lut_clog2 = i + 1;
  end
endfunction
