// The one Catch2 main of the suite (slow to compile, so it lives alone).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
