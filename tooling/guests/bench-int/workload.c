#include "workload.h"

#define SORT_N 2048
#define CRC_LEN 2048
#define MAT_N 64
#define LIST_N 2048
#define LIST_LAPS 4

static wu32 rng_state;
static wu32 rng(void) { /* xorshift32 */
  wu32 x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

/* ---- quicksort (Hoare partition, median of three, insertion sort for short runs) ---- */
static wu32 sort_buf[SORT_N];

static void insertion_sort(wu32 *a, int lo, int hi) {
  for (int i = lo + 1; i <= hi; i++) {
    wu32 v = a[i];
    int j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void quick_sort(wu32 *a, int lo, int hi) {
  while (hi - lo > 16) {
    int mid = lo + (hi - lo) / 2;
    wu32 x = a[lo], y = a[mid], z = a[hi];
    wu32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = lo - 1, j = hi + 1;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j) break;
      wu32 t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    /* Recurse into the smaller half to bound the stack depth. */
    if (j - lo < hi - j) {
      quick_sort(a, lo, j);
      lo = j + 1;
    } else {
      quick_sort(a, j + 1, hi);
      hi = j;
    }
  }
  insertion_sort(a, lo, hi);
}

static wu32 run_sort(void) {
  for (int i = 0; i < SORT_N; i++) sort_buf[i] = rng();
  quick_sort(sort_buf, 0, SORT_N - 1);
  wu32 sum = 0;
  for (int i = 0; i < SORT_N; i++) {
    if (i && sort_buf[i - 1] > sort_buf[i]) return 0xBAD50127; /* not sorted */
    sum = sum * 31 + sort_buf[i];
  }
  return sum;
}

/* ---- CRC-32 (IEEE, reflected), bitwise and table-driven; they must agree ---- */
static unsigned char crc_buf[CRC_LEN];
static wu32 crc_table[256];

static void crc_make_table(void) {
  for (wu32 n = 0; n < 256; n++) {
    wu32 c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

static wu32 crc_bitwise(const unsigned char *p, wu32 n) {
  wu32 c = 0xFFFFFFFFu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

static wu32 crc_table_driven(const unsigned char *p, wu32 n) {
  wu32 c = 0xFFFFFFFFu;
  while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

static wu32 run_crc(void) {
  for (int i = 0; i < CRC_LEN; i++) crc_buf[i] = (unsigned char)(rng() >> 24);
  wu32 a = crc_bitwise(crc_buf, CRC_LEN);
  wu32 b = crc_table_driven(crc_buf, CRC_LEN);
  return a == b ? a : 0xBADC0C32;
}

/* ---- 64x64 integer matrix multiply ---- */
static int mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static wu32 run_matrix(void) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      mat_a[i][j] = (int)(rng() % 2001) - 1000;
      mat_b[i][j] = (int)(rng() % 2001) - 1000;
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int s = 0;
      for (int k = 0; k < MAT_N; k++) s += mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = s;
    }
  wu32 sum = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) sum = (sum << 5 | sum >> 27) ^ (wu32)mat_c[i][j];
  return sum;
}

/* ---- linked list walk over a random cyclic permutation ---- */
struct node {
  struct node *next;
  wu32 value;
};
static struct node nodes[LIST_N];
static wu32 perm[LIST_N];

static wu32 run_list(void) {
  for (wu32 i = 0; i < LIST_N; i++) perm[i] = i;
  for (wu32 i = LIST_N - 1; i > 0; i--) { /* Fisher-Yates */
    wu32 j = rng() % (i + 1);
    wu32 t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (wu32 i = 0; i < LIST_N; i++) {
    nodes[perm[i]].next = &nodes[perm[(i + 1) % LIST_N]];
    nodes[perm[i]].value = rng();
  }
  const struct node *p = &nodes[perm[0]];
  wu32 sum = 0;
  for (wu32 steps = 0; steps < LIST_N * LIST_LAPS; steps++) {
    sum = (sum ^ p->value) * 0x9E3779B1u;
    p = p->next;
  }
  return sum ^ (wu32)(p - nodes);
}

void bench_run(wu32 iterations, struct bench_sums *out) {
  crc_make_table();
  out->sort = out->crc = out->matrix = out->list = 0;
  for (wu32 it = 0; it < iterations; it++) {
    rng_state = 0x2545F491u + it * 0x9E3779B9u;
    out->sort = (out->sort * 3) ^ run_sort();
    out->crc = (out->crc * 3) ^ run_crc();
    out->matrix = (out->matrix * 3) ^ run_matrix();
    out->list = (out->list * 3) ^ run_list();
  }
}
