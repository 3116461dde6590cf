/*
 * rng.h - one small deterministic random number generator.
 *
 * xoshiro256** seeded by splitmix64 (Blackman and Vigna): the data
 * generator's streams and the backtest's bootstrap need numbers that are
 * the same on every machine for the same seed, which rand() does not
 * promise.  Pure; never fails.
 */
#ifndef CAREWATCH_RNG_H
#define CAREWATCH_RNG_H

#include <stdint.h>

struct cw_rng {
	uint64_t s[4];
};

/* Seed r from seed (splitmix64 fills the state).  Never fails. */
void cw_rng_seed(struct cw_rng *r, uint64_t seed);
/* The next 64 random bits.  Never fails. */
uint64_t cw_rng_next(struct cw_rng *r);

#endif
