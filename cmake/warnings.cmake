# Project code compiles warning-clean at this level; third-party headers are included as SYSTEM.
set(ABACUS_WARNINGS -Wall -Wextra -Wno-unused-parameter)
function(abacus_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${ABACUS_WARNINGS}>)
endfunction()
