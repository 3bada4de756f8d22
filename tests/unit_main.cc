// Catch2 v2 main for xpusim_unit_tests. SystemC's sc_main is provided because libsystemc
// expects one; tests that elaborate SystemC call sc_start themselves.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

int sc_main(int, char**) { return 0; }

int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return Catch::Session().run(argc, argv);
}
