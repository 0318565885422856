#include "src/dist/communicator.h"

#include <cstdlib>

#include "src/util/error.h"

namespace abacus::dist {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

Communicator& world() {
  static SingleProcessCommunicator single;
  if (!launched_by_mpi()) return single;
  if (!have_mpi())
    fail("", "mpirun", "this abacus was built without MPI (install libopenmpi-dev and reconfigure), "
                       "so N copies would each run alone");
  return mpi_world();
}

std::vector<std::string> all_gather_text(Communicator& comm, const std::string& mine) {
  std::vector<std::string> all(size_t(comm.size()));
  for (int r = 0; r < comm.size(); ++r) {
    uint64_t n = r == comm.rank() ? mine.size() : 0;
    comm.broadcast(&n, sizeof n, r);
    std::string text = r == comm.rank() ? mine : std::string(size_t(n), '\0');
    if (n > 0) comm.broadcast(text.data(), int64_t(n), r);
    all[size_t(r)] = std::move(text);
  }
  return all;
}

}  // namespace abacus::dist
