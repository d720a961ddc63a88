/* Big-endian integers: database keys and values, frame and file headers,
 * signed messages. The only byte-order code of schakel. */
#ifndef SK_BE_H
#define SK_BE_H

#include <stdint.h>

static inline void sk_be64_put(uint8_t p[static 8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t sk_be64_get(const uint8_t p[static 8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void sk_be32_put(uint8_t p[static 4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint32_t sk_be32_get(const uint8_t p[static 4])
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sk_be16_put(uint8_t p[static 2], uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t sk_be16_get(const uint8_t p[static 2])
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
