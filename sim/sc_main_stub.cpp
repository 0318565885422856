// The sc_main libsystemc requires. Never called: abacus programs have their own main() and run
// the SystemC kernel through sim::systemc_run and friends (one kernel per process).
extern "C" int sc_main(int, char*[]) { return 0; }
