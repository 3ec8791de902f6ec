/* SipHash-2-4: a keyed 64-bit hash whose output tells nothing about its input without the key. */
#ifndef SIPROXD_SIPHASH_H
#define SIPROXD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

uint64_t siphash24(const unsigned char key[SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
