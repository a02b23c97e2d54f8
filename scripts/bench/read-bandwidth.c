// A plain read-bandwidth figure for scale beside decode's GB/s: T threads each sum their share of
// a 1 GiB buffer of floats (AVX2 loads, 4 accumulators), best of 5 passes after one warm-up.
//   cc -O2 -mavx2 -pthread scripts/bench/read-bandwidth.c -o /tmp/read-bandwidth && /tmp/read-bandwidth 2
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYTES (1ull << 30)
static float *buffer;
static int threads;
static volatile float sink;

static void *reader(void *arg) {
    size_t t = (size_t)arg, n = BYTES / sizeof(float) / threads;
    const float *p = buffer + t * n;
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        a = _mm256_add_ps(a, _mm256_load_ps(p + i));
        b = _mm256_add_ps(b, _mm256_load_ps(p + i + 8));
        c = _mm256_add_ps(c, _mm256_load_ps(p + i + 16));
        d = _mm256_add_ps(d, _mm256_load_ps(p + i + 24));
    }
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
    sink += out[0];
    return NULL;
}

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) return 1;
    buffer = aligned_alloc(64, BYTES);
    if (!buffer) return 1;
    memset(buffer, 1, BYTES);
    double best = 0;
    for (int pass = 0; pass < 6; pass++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pthread_t ids[64];
        for (long t = 0; t < threads; t++) pthread_create(&ids[t], NULL, reader, (void *)t);
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double gbs = BYTES / ((t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec)) / 1e9;
        if (pass > 0 && gbs > best) best = gbs;
    }
    printf("plain read, %d threads, 1 GiB: %.1f GB/s (best of 5)\n", threads, best);
    return 0;
}
