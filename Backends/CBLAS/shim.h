// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). openblas_set_num_threads sets its pool size.
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
